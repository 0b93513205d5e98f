/**
 * The runnable quick starts of the docs, taken from the Markdown itself so that what the docs
 * show is what the pack-and-install test compiles and runs.
 *
 * A code block is a quick start when the line before its fence (blank lines aside) is
 * `<!-- quick-start: NAME -->`. Blocks of one page with the same NAME are one program, in page
 * order: a guide may define its types in one block and use them in a later one. Every other
 * block is prose and is not compiled.
 */
export interface QuickStart {
  /** The Markdown file, relative to the repository root. */
  file: string
  name: string
  /** The program: its blocks joined. */
  code: string
  /** 1-based line of the first block's fence, for failure messages. */
  line: number
}

const MARKER = /^<!--\s*quick-start:\s*([\w-]+)\s*-->\s*$/

/** The quick starts of one Markdown page. */
export function quickStarts(markdown: string, file: string): QuickStart[] {
  const lines = markdown.split('\n')
  const programs = new Map<string, QuickStart>()
  let pending: string | undefined
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!
    const marker = MARKER.exec(text)
    if (marker) {
      pending = marker[1]
      continue
    }
    if (text.trim() === '') continue
    const fence = /^(`{3,})(ts|typescript)\s*$/.exec(text)
    if (pending === undefined) {
      // A fence that is not a quick start: skip to its end so its lines are not read as prose.
      const other = /^(`{3,})/.exec(text)
      if (other) {
        while (i + 1 < lines.length && !lines[++i]!.startsWith(other[1]!)) {
          /* inside the block */
        }
      }
      continue
    }
    if (!fence) {
      throw new Error(
        `${file}:${i + 1}: <!-- quick-start: ${pending} --> must stand right before a \`\`\`ts code block`,
      )
    }
    const body: string[] = []
    while (++i < lines.length && !lines[i]!.startsWith(fence[1]!))
      body.push(lines[i]!)
    const existing = programs.get(pending)
    if (existing) existing.code += '\n' + body.join('\n') + '\n'
    else
      programs.set(pending, {
        file,
        name: pending,
        code: body.join('\n') + '\n',
        line: i - body.length,
      })
    pending = undefined
  }
  return [...programs.values()]
}
