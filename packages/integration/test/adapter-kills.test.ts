// Process crashes through the adapters: child processes with a Redux store and a Zustand store
// (the built packages, imported by name as an app would) are killed with SIGKILL at seeded
// points, during bursts of dispatches/sets and during rewrites, and restarted on the same
// directory. The suite and its harness are the core's (packages/core/test/crash).
import { killSuite } from '../../core/test/crash/killSuite.js'

killSuite(
  'SIGKILL through the adapters (fast subset)',
  ['redux', 'zustand'],
  100,
)
