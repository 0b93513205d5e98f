// What every package.json of the workspace must say, checked so it cannot drift.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const read = (path: string) =>
  JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>
const root = read('package.json')

describe.each(['core', 'redux', 'zustand', 'cli', 'browser'])(
  'the public package @aof-persist/%s',
  (name) => {
    const pkg = read(`packages/${name}/package.json`)

    it('says where it comes from, its license, keywords and the Node versions of the root', () => {
      expect(pkg.name).toBe(`@aof-persist/${name}`)
      expect(pkg.repository).toEqual({
        type: 'git',
        url: 'git+https://github.com/aof-persist/aof-persist.git',
        directory: `packages/${name}`,
      })
      expect(pkg.homepage).toBe(
        `https://github.com/aof-persist/aof-persist/tree/main/packages/${name}#readme`,
      )
      expect(pkg.bugs).toEqual({
        url: 'https://github.com/aof-persist/aof-persist/issues',
      })
      expect(pkg.license).toBe('MIT')
      expect((pkg.keywords as string[]).length).toBeGreaterThan(2)
      expect(pkg.engines).toEqual(root.engines)
      expect(pkg.sideEffects).toBe(false)
    })

    it('builds itself when packed and ships its LICENSE and CHANGELOG', () => {
      expect((pkg.scripts as Record<string, string>).prepack).toMatch(
        /turbo run build/,
      )
      expect(pkg.files).toEqual(
        expect.arrayContaining([
          'dist',
          'README.md',
          'CHANGELOG.md',
          'LICENSE',
        ]),
      )
      expect(
        readFileSync(join(ROOT, 'packages', name, 'LICENSE'), 'utf8'),
      ).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'))
      expect(existsSync(join(ROOT, 'packages', name, 'CHANGELOG.md'))).toBe(
        true,
      )
    })
  },
)

const PUBLIC = ['core', 'redux', 'zustand', 'cli', 'browser']
const privatePackages = [
  ...readdirSync(join(ROOT, 'examples')).map((n) => `examples/${n}`),
  ...readdirSync(join(ROOT, 'packages'))
    .filter((n) => !PUBLIC.includes(n))
    .map((n) => `packages/${n}`),
]

describe('the private workspace packages (examples, cross-package tests)', () => {
  it.each(privatePackages)(
    '%s is private and has no version, so pnpm -r pack and changesets leave it alone',
    (dir) => {
      const pkg = read(`${dir}/package.json`)
      expect(pkg.private).toBe(true)
      expect(pkg).not.toHaveProperty('version')
    },
  )
})

describe('changesets', () => {
  it('is set up: .changeset/config.json, and `pnpm changeset` runs it', () => {
    const config = read('.changeset/config.json')
    expect(config.privatePackages).toEqual({ version: false, tag: false })
    expect((root.scripts as Record<string, string>).changeset).toBe('changeset')
  })
})
