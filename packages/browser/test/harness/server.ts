import { createReadStream, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
}

/** What a {@link serve}d URL path answers with: a file on disk, text, or a function of the URL. */
export type Route =
  | string
  | { type: string; body: string | Uint8Array }
  | ((url: URL) => { type: string; body: string | Uint8Array })

/** A static server on 127.0.0.1 (a secure context for OPFS), cross-origin isolated. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** Answers `urlPath` (exact, e.g. `/page.html`) with `route` from now on. */
  set(urlPath: string, route: Route): void
  /** Serves every file under `dir` below `prefix` (e.g. `/pkg/browser/`). */
  mount(prefix: string, dir: string): void
  close(): Promise<void>
}

/**
 * Starts the pages' server. COOP/COEP make the pages cross-origin isolated, which sharpens
 * `performance.now()` to 5 µs for the bench and the stall measurements.
 */
export async function serve(): Promise<TestServer> {
  // Chromium asks every origin for an icon; a 404 would show as a console error.
  const routes = new Map<string, Route>([
    ['/favicon.ico', { type: 'image/x-icon', body: '' }],
  ])
  const mounts: [string, string][] = []
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const urlPath = decodeURIComponent(url.pathname)
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp')
    res.setHeader('Cache-Control', 'no-store')
    let route = routes.get(urlPath)
    if (typeof route === 'function') route = route(url)
    if (route === undefined) {
      for (const [prefix, dir] of mounts) {
        if (!urlPath.startsWith(prefix)) continue
        const file = path.join(dir, urlPath.slice(prefix.length))
        if (file.startsWith(dir + path.sep)) route = file
        break
      }
    }
    if (typeof route === 'object') {
      res.setHeader('Content-Type', route.type)
      res.end(route.body)
      return
    }
    if (route !== undefined) {
      try {
        if (statSync(route).isFile()) {
          res.setHeader(
            'Content-Type',
            TYPES[path.extname(route)] ?? 'application/octet-stream',
          )
          createReadStream(route).pipe(res)
          return
        }
      } catch {
        // falls through to 404
      }
    }
    res.statusCode = 404
    res.end(`not found: ${urlPath}`)
  })
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve()),
  )
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    set: (urlPath, route) => routes.set(urlPath, route),
    mount: (prefix, dir) => {
      mounts.push([prefix, path.resolve(dir)])
      mounts.sort((a, b) => b[0].length - a[0].length)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A page that loads `modules` (URLs of ES modules) with an optional import map. */
export function html(
  options: { imports?: Record<string, string>; body?: string } = {},
): Route {
  const map = options.imports
    ? `<script type="importmap">${JSON.stringify({ imports: options.imports })}</script>`
    : ''
  return {
    type: 'text/html; charset=utf-8',
    body: `<!doctype html><html><head><meta charset="utf-8">${map}</head><body>${options.body ?? ''}</body></html>`,
  }
}
