// The manifest's line syntax as Redis reads and writes it: arguments split like `sdssplitargs`,
// names quoted like `sdscatrepr`, numbers read like C's `atoll`, strings ending at a NUL like
// C strings. manifest.ts holds the grammar and the store's rules on top of it.

/** Bytes as a string of the same length, one char per byte (ISO-8859-1). */
export function latin1(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192))
  }
  return out
}

/** Redis reads keys, seqs and names as C strings: they end at the first NUL. */
export const cString = (s: string): string => {
  const nul = s.indexOf('\0')
  return nul === -1 ? s : s.slice(0, nul)
}

/**
 * C's `atoll` (glibc's `strtoll`, base 10): C blanks, a sign and the leading digits, 0 when
 * there are none, clamped to 64 bits. `text` is what it read, for messages.
 */
export function atoll(value: string): { n: bigint; text: string } {
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(cString(value))
  if (!match) return { n: 0n, text: '' }
  const n = BigInt(match[1]!)
  const max = 2n ** 63n - 1n
  return { n: n > max ? max : n < -max - 1n ? -max - 1n : n, text: match[1]! }
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  a: '\x07',
}

/** C's `isspace` in the C locale: what `sdssplitargs` skips between arguments. */
const isBlank = (c: string | undefined): boolean =>
  c === ' ' ||
  c === '\t' ||
  c === '\n' ||
  c === '\v' ||
  c === '\f' ||
  c === '\r'

const isHex = (c: string | undefined): boolean =>
  c !== undefined && /^[0-9a-fA-F]$/.test(c)

/**
 * Splits a line into arguments the way Redis's `sdssplitargs` does. The line ends at a NUL.
 * Blanks (C's `isspace`: space, \t, \n, \v, \f, \r) are skipped before an argument, but only
 * space, \t, \n and \r end an unquoted one (\v and \f are part of it). "Double quotes" take C
 * escapes (\n \r \t \b \a \xHH, and \ before any other character stands for that character),
 * 'single quotes' take only \'; a quote may open inside an argument, and a closing quote must be
 * followed by a blank or the end. Returns null on a syntax error.
 */
export function splitArgs(line: string): string[] | null {
  const s = cString(line)
  const args: string[] = []
  let i = 0
  for (;;) {
    while (isBlank(s[i])) i++
    if (i >= s.length) return args
    let cur = ''
    let quote: '"' | "'" | null = null
    for (;;) {
      const c = s[i]
      if (quote === '"') {
        if (c === undefined) return null
        if (
          c === '\\' &&
          s[i + 1] === 'x' &&
          isHex(s[i + 2]) &&
          isHex(s[i + 3])
        ) {
          cur += String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16))
          i += 4
        } else if (c === '\\' && s[i + 1] !== undefined) {
          cur += ESCAPES[s[i + 1]!] ?? s[i + 1]
          i += 2
        } else if (c === '"') {
          if (s[i + 1] !== undefined && !isBlank(s[i + 1])) return null
          i++
          break
        } else {
          cur += c
          i++
        }
      } else if (quote === "'") {
        if (c === undefined) return null
        if (c === '\\' && s[i + 1] === "'") {
          cur += "'"
          i += 2
        } else if (c === "'") {
          if (s[i + 1] !== undefined && !isBlank(s[i + 1])) return null
          i++
          break
        } else {
          cur += c
          i++
        }
      } else if (
        c === undefined ||
        c === ' ' ||
        c === '\t' ||
        c === '\n' ||
        c === '\r'
      ) {
        break
      } else {
        if (c === '"' || c === "'") quote = c
        else cur += c
        i++
      }
    }
    args.push(cur)
  }
}

/**
 * Quotes a file name when Redis would (`sdsneedsrepr`: backslash, quotes, whitespace,
 * control or non-ASCII bytes), and also when it holds an apostrophe, which `sdssplitargs`
 * would otherwise read as the start of a single-quoted section. Non-ASCII bytes become \xHH.
 */
export function quoteName(name: string): string {
  const bytes = new TextEncoder().encode(name)
  let needs = false
  for (const b of bytes) {
    if (b <= 0x20 || b >= 0x7f || b === 0x5c || b === 0x22 || b === 0x27)
      needs = true
  }
  if (!needs) return name
  let out = '"'
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\'
    else if (b === 0x22) out += '\\"'
    else if (b === 0x0a) out += '\\n'
    else if (b === 0x0d) out += '\\r'
    else if (b === 0x09) out += '\\t'
    else if (b === 0x07) out += '\\a'
    else if (b === 0x08) out += '\\b'
    else if (b < 0x20 || b >= 0x7f)
      out += '\\x' + b.toString(16).padStart(2, '0')
    else out += String.fromCharCode(b)
  }
  return out + '"'
}
