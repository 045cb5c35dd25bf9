/**
 * HTTP filters are imported only for a snapshot that names them
 * (src/filters/registry.ts): here against the Worker exactly as
 * `edgevoy build --worker` writes it, in a freshly started workerd isolate
 * (Miniflare) — the entry, its data-plane chunk, and a chunk per filter.
 *   - a base naming jwt_authn serves from the first request (its chunk is
 *     imported while the isolate loads the base, not per request), and so
 *     does its route matched by a header (a regex), a query parameter and a
 *     cookie (the matcher linkers' and the regex engine's chunks, imported
 *     before the base is linked);
 *   - a new version naming a filter not loaded yet (rbac) replaces it once
 *     that filter's chunk is imported;
 *   - a version whose filter cannot be imported (its chunk left out of the
 *     upload) is refused: the old snapshot keeps serving, and the refusal is
 *     reported (/ready) and counted (edgevoy.config.update_rejected).
 */
import { Miniflare } from 'miniflare'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { compileFile } from '../../src/cli/build'
import { buildWorker, type WorkerBuild } from '../../src/cli/worker-build'
import { anyHost, bootstrapYaml, ROUTER, type TestConfig } from '../support/envoy-config'
import { createSigner, jwks, type TestSigner } from '../support/jwt-signer'

const dir = mkdtempSync(join(tmpdir(), 'edgevoy-lazy-filters-'))
const TOKEN = 'lazy-filters-token'
let signer: TestSigner
let worker: WorkerBuild

const upstreams = inject('upstreams')
const served = { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'served' } } }

/** One virtual host for every domain with these routes, behind these filters and the router. */
const config = (filters: unknown[], routes: unknown[] = [served], clusters: TestConfig['clusters'] = {}) =>
  bootstrapYaml({ virtual_hosts: anyHost(routes), http_filters: [...filters, ROUTER], clusters })

/** Served only to a request with header x-h: y… (a safe_regex: the regex engine's chunk), query parameter q=1 and cookie c=z (snapshot/match-linkers.ts). */
const matched = {
  match: { prefix: '/m', headers: [{ name: 'x-h', string_match: { safe_regex: { regex: 'y+' } } }], query_parameters: [{ name: 'q', string_match: { exact: '1' } }], cookies: [{ name: 'c', string_match: { exact: 'z' } }] },
  direct_response: { status: 200, body: { inline_string: 'matched' } },
}

const jwtConfig = () =>
  config([
    {
      name: 'envoy.filters.http.jwt_authn',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
        providers: { lazy: { issuer: 'https://issuer.test', local_jwks: { inline_string: jwks(signer) } } },
        rules: [{ match: { prefix: '/' }, requires: { provider_name: 'lazy' } }],
      },
    },
  ], [matched, served])

/** rbac denying every request: a version that serves is told apart by its 403. */
const rbacConfig = () =>
  config([
    {
      name: 'envoy.filters.http.rbac',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
        rules: { action: 'DENY', policies: { all: { permissions: [{ any: true }], principals: [{ any: true }] } } },
      },
    },
  ])

/**
 * A route matched by a safe_regex (serving it needs the regex engine's
 * chunk) and one to a MAGLEV cluster (the balancer's chunk) with a hash
 * policy, a retry policy, a mirror to a RANDOM cluster, outlier detection and locality
 * weights (upstream/on-demand.ts's and lb/index.ts's chunks), among more
 * than 8 routes (the route index's chunk: router/route-index.ts).
 */
const regexConfig = () =>
  config(
    [],
    [
      { match: { safe_regex: { regex: '/x[0-9]+' } }, direct_response: { status: 200, body: { inline_string: 'regex' } } },
      ...Array.from({ length: 8 }, (_, i) => ({ match: { path: `/r${i}` }, direct_response: { status: 200, body: { inline_string: `r${i}` } } })),
      { match: { prefix: '/up' }, route: { cluster: 'hashed', hash_policy: [{ header: { header_name: 'x-user' } }], request_mirror_policies: [{ cluster: 'shadow' }], retry_policy: { retry_on: '5xx', num_retries: 1 } } },
    ],
    {
      hashed: { endpoints: [upstreams.a!], lb_policy: 'MAGLEV', outlier_detection: { consecutive_5xx: 5 }, common_lb_config: { locality_weighted_lb_config: {} } },
      shadow: { endpoints: [upstreams.a!], lb_policy: 'RANDOM' },
    },
  )

beforeAll(async () => {
  signer = await createSigner('ES256', 'k1')
  const file = join(dir, 'base.yaml')
  writeFileSync(file, jwtConfig())
  const compiled = await compileFile(file, undefined)
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'))
  worker = await buildWorker(compiled.base, join(dir, 'worker'))
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The chunk esbuild wrote for a module reached through import(). */
const chunkOf = (module: string) => resolve(Object.entries(worker.metafile.outputs).find(([, o]) => o.entryPoint?.endsWith(module))![0])

/** A fresh isolate running the built Worker, with every module but `without`. */
function start(without?: string): Miniflare {
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]))
  const files = walk(worker.outdir)
    .filter((f) => f.endsWith('.mjs') && f !== without)
    .sort((a, b) => Number(b === worker.entry) - Number(a === worker.entry))
  return new Miniflare({
    modulesRoot: worker.outdir,
    modules: files.map((f) => ({ type: 'ESModule' as const, path: f, contents: readFileSync(f, 'utf8') })),
    compatibilityDate: '2026-04-01',
    bindings: { ADMIN_TOKEN: TOKEN, CONFIG_REFRESH_SECONDS: '0' },
    kvNamespaces: ['CONFIG'],
    durableObjects: { CONFIG_AUTHORITY: { className: 'ConfigAuthority', useSQLite: true }, XDS_POLLER: { className: 'XdsPoller', useSQLite: true } },
  })
}

const auth = { authorization: `Bearer ${TOKEN}` }
const get = (mf: Miniflare, headers: Record<string, string> = {}) => mf.dispatchFetch('http://edge.test/x', { headers })
const push = (mf: Miniflare, yaml: string) => mf.dispatchFetch('http://edge.test/__admin/config', { method: 'PUT', headers: { ...auth, 'content-type': 'application/yaml' }, body: yaml })

describe('filters imported for the snapshot that names them, in the built Worker', () => {
  it('the build has a chunk per filter beside the entry, and the entry and its static chunks do not carry them', () => {
    const loaded = worker.modules.filter((m) => m.dataPlane)
    expect(loaded.map((m) => m.path)).toContain(worker.entry)
    const entry = loaded.map((m) => readFileSync(m.path, 'utf8')).join('\n')
    for (const m of ['src/filters/jwt/authn.ts', 'src/filters/rbac.ts', 'src/filters/oauth2/filter.ts']) {
      const chunk = chunkOf(m)
      expect(chunk.startsWith(join(worker.outdir, 'chunks/')), chunk).toBe(true)
      expect(worker.modules.find((x) => x.path === chunk)?.dataPlane, m).toBe(false)
    }
    expect(entry).not.toContain('Jwt is missing')
    expect(entry).not.toContain('RBAC: access denied')
    // Outlier detection, mirroring, the hash policy, the health hub's core and the route index: chunks of their own too.
    for (const m of ['src/router/indexed-routes.ts', 'src/upstream/outlier.ts', 'src/upstream/mirror.ts', 'src/upstream/retries.ts', 'src/upstream/lb/hash-policy.ts', 'src/state/health-authority-core.ts', 'src/snapshot/match-linkers.ts']) {
      expect(worker.modules.find((x) => x.path === chunkOf(m))?.dataPlane, m).toBe(false)
      expect(worker.modules.find((x) => x.path === chunkOf(m))?.lazy, m).toBe(true)
    }
    expect(entry).toContain('x-edgevoy-config-version')
  })

  it('a fresh isolate serves a base naming jwt_authn from its first request; a new version naming rbac (not loaded yet) replaces it', async () => {
    const mf = start()
    try {
      const first = await get(mf)
      expect(first.status).toBe(401)
      expect(await first.text()).toBe('Jwt is missing')
      const bearer = `Bearer ${await signer.sign({ iss: 'https://issuer.test', exp: Math.floor(Date.now() / 1000) + 600 })}`
      const ok = await get(mf, { authorization: bearer })
      expect(ok.status).toBe(200)
      expect(await ok.text()).toBe('served')
      // The base's header (regex), query-parameter and cookie matchers, linked in this isolate without the control plane.
      const m = await mf.dispatchFetch('http://edge.test/m?q=1', { headers: { authorization: bearer, 'x-h': 'yy', cookie: 'a=b; c=z' } })
      expect([m.status, await m.text()]).toEqual([200, 'matched'])
      const noCookie = await mf.dispatchFetch('http://edge.test/m?q=1', { headers: { authorization: bearer, 'x-h': 'y' } })
      expect(await noCookie.text()).toBe('served')

      expect((await push(mf, rbacConfig())).status).toBe(200)
      const denied = await get(mf)
      expect(denied.status).toBe(403)
      expect(denied.headers.get('x-edgevoy-config-version')).toBe('1')
    } finally {
      await mf.dispose()
    }
  }, 60_000)

  it('a new version holding a regex, a MAGLEV cluster with outlier detection, a route that hashes, mirrors and retries and more than 8 routes imports each chunk before it serves', async () => {
    expect(regexConfig()).toContain('safe_regex')
    const mf = start()
    try {
      expect((await get(mf)).status).toBe(401)
      expect((await push(mf, regexConfig())).status).toBe(200)
      const hit = await mf.dispatchFetch('http://edge.test/x12')
      expect([hit.status, await hit.text()]).toEqual([200, 'regex'])
      const late = await mf.dispatchFetch('http://edge.test/r7')
      expect([late.status, await late.text()]).toEqual([200, 'r7'])
      expect((await mf.dispatchFetch('http://edge.test/x1y')).status).toBe(404)
      const up = await mf.dispatchFetch('http://edge.test/up', { headers: { 'x-user': 'u1' } })
      expect(up.status).toBe(200)
      await up.arrayBuffer()
    } finally {
      await mf.dispose()
    }
  }, 60_000)

  it('a version whose filter cannot be imported is refused: the old snapshot keeps serving, the refusal is reported and counted', async () => {
    const mf = start(chunkOf('src/filters/rbac.ts'))
    try {
      expect((await get(mf)).status).toBe(401)
      expect((await push(mf, rbacConfig())).status).toBe(200)
      // Still the base (version 0) with its jwt_authn: never a config that cannot serve.
      const still = await get(mf)
      expect(still.status).toBe(401)
      expect(still.headers.get('x-edgevoy-config-version')).toBe('0')
      const ready = await mf.dispatchFetch('http://edge.test/__admin/ready', { headers: auth })
      expect(await ready.text()).toMatch(/rbac/)
      const stats = await (await mf.dispatchFetch('http://edge.test/__admin/stats', { headers: auth })).text()
      expect(stats).toMatch(/edgevoy\.config\.update_rejected: [1-9]/)
    } finally {
      await mf.dispose()
    }
  }, 60_000)
})
