/**
 * A deployed Worker as wrangler uploads it (the data-plane entry and the
 * control plane's chunks, built by `edgevoy build --worker`), run in
 * Miniflare with KV and Durable Object storage kept on disk across two
 * "deploys": versions pushed after the first deploy must not silently
 * shadow a changed base config deployed next — the new base becomes the
 * newest version, and the history says so. Deploying the same base again
 * changes nothing.
 */
import { Miniflare } from 'miniflare'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { compileFile } from '../../src/cli/build'
import { buildWorker } from '../../src/cli/worker-build'
import { anyHost, bootstrapYaml } from '../support/envoy-config'

const dir = mkdtempSync(join(tmpdir(), 'edgevoy-deploy-base-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const TOKEN = 'deploy-base-token'

/** A config whose every request is answered by the proxy itself with `body`. */
const config = (body: string) => bootstrapYaml({ virtual_hosts: anyHost([{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: body } } }]) })

/** `edgevoy build --worker` for this config, then a Miniflare serving it over the given storage. */
async function deploy(name: string, body: string): Promise<Miniflare> {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, config(body))
  const compiled = await compileFile(file, undefined)
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'))
  const w = await buildWorker(compiled.base, join(dir, `worker-${name}`))
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]))
  const files = walk(w.outdir).filter((f) => f.endsWith('.mjs')).sort((a, b) => Number(b === w.entry) - Number(a === w.entry))
  return new Miniflare({
    modulesRoot: w.outdir,
    modules: files.map((f) => ({ type: 'ESModule' as const, path: f, contents: readFileSync(f, 'utf8') })),
    compatibilityDate: '2026-04-01',
    bindings: { ADMIN_TOKEN: TOKEN, CONFIG_REFRESH_SECONDS: '0' },
    kvNamespaces: ['CONFIG'],
    kvPersist: join(dir, 'kv'),
    durableObjectsPersist: join(dir, 'do'),
    durableObjects: { CONFIG_AUTHORITY: { className: 'ConfigAuthority', useSQLite: true }, XDS_POLLER: { className: 'XdsPoller', useSQLite: true } },
  })
}

const auth = { authorization: `Bearer ${TOKEN}` }
const body = async (mf: Miniflare) => (await mf.dispatchFetch('http://edge.test/x')).text()
const versions = async (mf: Miniflare) => (await (await mf.dispatchFetch('http://edge.test/__admin/config/versions', { headers: auth })).json()) as { current: number; versions: { version: number; note: string }[] }

describe('a new deploy and the versions pushed before it', () => {
  it('the changed base becomes the newest version instead of being shadowed; the same base again changes nothing', async () => {
    let mf = await deploy('first', 'base one')
    try {
      expect(await body(mf)).toBe('base one')
      const put = await mf.dispatchFetch('http://edge.test/__admin/config', { method: 'PUT', headers: { ...auth, 'content-type': 'application/yaml' }, body: config('pushed') })
      expect(put.status).toBe(200)
      expect(await body(mf)).toBe('pushed')
    } finally {
      await mf.dispose()
    }

    // Same storage, a changed base config deployed.
    mf = await deploy('second', 'base two')
    try {
      const res = await mf.dispatchFetch('http://edge.test/x')
      expect(await res.text()).toBe('base two')
      const history = await versions(mf)
      expect(history.versions[0]).toMatchObject({ version: 2, note: 'deployed base config' })
      expect(history.versions[1]).toMatchObject({ version: 1 })
      expect(history.current).toBe(2)
      expect(res.headers.get('x-edgevoy-config-version')).toBe('2')
    } finally {
      await mf.dispose()
    }

    // The same base deployed once more: no new version, it keeps serving.
    mf = await deploy('third', 'base two')
    try {
      expect(await body(mf)).toBe('base two')
      expect((await versions(mf)).current).toBe(2)
    } finally {
      await mf.dispose()
    }
  }, 120_000)
})
