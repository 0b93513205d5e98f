// Where the built packages are: child processes import them as an app would.
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

const pkg = (name) =>
  fileURLToPath(new URL(`../../../../${name}/`, import.meta.url))

// AOF_CRASH_CORE_DIST points the children at another build of the core: a deliberately broken
// copy shows that these tests fail when a durability step is missing.
export const CORE_DIST =
  process.env.AOF_CRASH_CORE_DIST || pkg('core') + 'dist/index.js'
export const REDUX_DIST = pkg('redux') + 'dist/index.js'
export const ZUSTAND_DIST = pkg('zustand') + 'dist/index.js'

/** `redux` and `zustand/vanilla` as the adapters resolve them (their own node_modules). */
export const reduxLib = () =>
  import(
    pathToFileURL(createRequire(pkg('redux') + 'package.json').resolve('redux'))
      .href
  )
export const zustandLib = () =>
  import(
    pathToFileURL(
      createRequire(pkg('zustand') + 'package.json').resolve('zustand/vanilla'),
    ).href
  )

export const importDist = (file) => import(pathToFileURL(file).href)
