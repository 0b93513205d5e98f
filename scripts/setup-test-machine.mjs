#!/usr/bin/env node
// Installs what the test suite needs beyond npm packages, on a fresh machine of the kind CI
// runs on (Debian, root): Chromium for the browser tests and redis-server for the manifest
// tests held against the real Redis. Elsewhere it installs nothing and says what to install;
// CHROMIUM_PATH and REDIS_SERVER_PATH point the tests at binaries installed another way.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const needs = [
  {
    what: 'Chromium (the browser tests)',
    pkg: 'chromium',
    env: 'CHROMIUM_PATH',
    paths: ['/usr/bin/chromium', '/usr/lib/chromium/chromium'],
  },
  {
    what: 'Redis 7 (redis-server, for the manifest differential tests)',
    pkg: 'redis-server',
    env: 'REDIS_SERVER_PATH',
    paths: ['/usr/bin/redis-server'],
  },
]

const found = (n) =>
  (process.env[n.env] && existsSync(process.env[n.env])) ||
  n.paths.some((p) => existsSync(p))
const missing = needs.filter((n) => !found(n))
if (missing.length === 0) process.exit(0)

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const hasApt =
  spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
if (!isRoot || !hasApt) {
  console.error(
    `The test suite needs ${missing.map((n) => n.what).join(' and ')}, which this machine lacks, and ` +
      `this script installs them only as root with apt-get. Install the Debian/Ubuntu package(s) ` +
      `${missing.map((n) => n.pkg).join(', ')} (or your platform's equivalent), or set ` +
      `${missing.map((n) => n.env).join(' / ')} to the binary, then run the tests again.`,
  )
  process.exit(0) // the tests that need them fail with the same advice
}
const pkgs = missing.map((n) => n.pkg)
console.log(`Installing ${pkgs.join(', ')} with apt-get (once per machine) ...`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
execFileSync('apt-get', ['update', '-qq'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env,
})
execFileSync(
  'apt-get',
  ['install', '-y', '-qq', '--no-install-recommends', ...pkgs],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  },
)
