import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/**
 * The Chromium the tests drive: CHROMIUM_PATH, else Debian's package (`/usr/lib/chromium/chromium`
 * is the binary itself; `/usr/bin/chromium` is a wrapper script). Never a download.
 */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv
    throw new Error(
      `CHROMIUM_PATH is ${fromEnv}, which does not exist. Point it at a Chromium binary, or unset it to use Debian's /usr/lib/chromium/chromium.`,
    )
  }
  for (const p of ['/usr/lib/chromium/chromium', '/usr/bin/chromium']) {
    if (existsSync(p)) return p
  }
  throw new Error(
    'The browser tests need Chromium, which this machine lacks. On Debian or Ubuntu as root, "pnpm test" installs it (scripts/setup-test-machine.mjs runs apt-get install chromium); elsewhere install your platform\'s chromium package, or set CHROMIUM_PATH to a Chromium binary, then run the tests again.',
  )
}

/** A fresh profile directory (a persistent context: OPFS on disk, as a user has it). */
export const newProfile = (): string =>
  mkdtempSync(path.join(tmpdir(), 'aof-chromium-'))

/**
 * One Chromium on one profile. `kill()` ends its main process with SIGKILL, like a crash;
 * `launch()` again reopens the same profile.
 */
export class TestBrowser {
  readonly profile: string
  #context: BrowserContext | null = null

  constructor(profile: string = newProfile()) {
    this.profile = profile
  }

  get context(): BrowserContext {
    if (!this.#context) throw new Error('the browser is not running')
    return this.#context
  }

  async launch(): Promise<BrowserContext> {
    if (this.#context) return this.#context
    const context = await chromium.launchPersistentContext(this.profile, {
      executablePath: chromiumPath(),
      headless: true,
      // Chromium on a shared 2-core machine can take seconds to start.
      timeout: 60_000,
    })
    context.on('close', () => {
      if (this.#context === context) this.#context = null
    })
    this.#context = context
    return context
  }

  /** Opens a new tab at `url`; its console errors and page errors are collected. */
  async open(url: string): Promise<Page & { errors: string[] }> {
    const page = (await (await this.launch()).newPage()) as Page & {
      errors: string[]
    }
    page.errors = []
    page.on('pageerror', (err) => page.errors.push(String(err)))
    page.on('console', (m) => {
      if (m.type() === 'error') page.errors.push(m.text())
    })
    await page.goto(url)
    return page
  }

  /** The browser's main process: the binary with this profile and no `--type=`. */
  mainPid(): number | null {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      let args: string[]
      try {
        args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      } catch {
        continue
      }
      if (
        args.includes(`--user-data-dir=${this.profile}`) &&
        !args.some((a) => a.startsWith('--type='))
      )
        return Number(entry)
    }
    return null
  }

  /** SIGKILLs the browser's main process (a crash: nothing is flushed or closed) and waits for it. */
  async kill(): Promise<void> {
    const context = this.#context
    const pid = this.mainPid()
    if (pid === null) throw new Error('no Chromium process for this profile')
    const closed = context
      ? new Promise<void>((resolve) => context.once('close', () => resolve()))
      : Promise.resolve()
    process.kill(pid, 'SIGKILL')
    await closed
    this.#context = null
    // The renderers and the GPU process follow their parent within ~100 ms; wait for every
    // process on the profile to be gone before a relaunch uses it.
    for (let i = 0; i < 200 && this.#anyProcess(); i++)
      await new Promise((r) => setTimeout(r, 25))
  }

  #anyProcess(): boolean {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
        if (args.includes(this.profile)) return true
      } catch {
        continue
      }
    }
    return false
  }

  async close(): Promise<void> {
    const context = this.#context
    this.#context = null
    await context?.close()
  }
}
