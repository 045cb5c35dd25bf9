/**
 * How isolates pick up published configs from KV: in the background at the
 * refresh interval, never serving a config that fails to compile (the last
 * good one keeps serving and the admin API reports the problem). Plus the
 * read-only views in Envoy's admin shapes and the OpenAPI document.
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--config_dump
 */
import { createExecutionContext, env } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import worker, { theIsolate } from '../../src/index'
import type { StateEnv } from '../../src/state/env'
import { COMPILER_VERSION } from '../../src/compile/serialize'
import { PUBLISHED_KEY } from '../../src/state/published'
import type { EchoBody } from '../support/upstream-types'
import { edgeYaml } from '../support/edge-yaml'

const upstreams = inject('upstreams')
const TOKEN = 'admin-state-token'
const testEnv = env as unknown as StateEnv
const adminEnv = { ...testEnv, ADMIN_TOKEN: TOKEN, CONFIG_REFRESH_SECONDS: '0' } as StateEnv
const auth = { authorization: `Bearer ${TOKEN}` }

// No waitOnExecutionContext: the health poller keeps a waitUntil open.
const call = (path: string, init: RequestInit = {}, e: StateEnv = adminEnv) =>
  worker.fetch(new Request(`http://edge.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>, e, createExecutionContext())
const admin = (path: string, init: RequestInit = {}) => call(`/__admin${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } })
const putConfig = (config: unknown) => admin('/config', { method: 'PUT', body: JSON.stringify(config), headers: { 'content-type': 'application/json' } })
const upstreamOf = async (res: Response) => ((await res.json()) as EchoBody).id

const yamlTo = (port: number) => edgeYaml('up', port)

describe('isolates and the published config', () => {
  it('refreshes in the background at the interval: the request that triggers the check is not held up', async () => {
    const put = await admin('/config', { method: 'PUT', body: yamlTo(upstreams.b!), headers: { 'content-type': 'application/yaml' } })
    expect(put.status).toBe(200)
    // A fresh isolate state (another base config) that still holds the base, served by a.
    const slowEnv = { ...testEnv, EDGEVOY_CONFIG: yamlTo(upstreams.a!), CONFIG_REFRESH_SECONDS: '5' } as StateEnv
    const first = await call('/x', {}, slowEnv)
    expect(await upstreamOf(first)).toBe('a')
    // The base config is version 0, as its ETag says.
    expect(first.headers.get('x-edgevoy-config-version')).toBe('0')
    // The check ran beside the request (ctx.waitUntil); it may have finished already.
    await theIsolate().state(slowEnv).inflight
    const next = await call('/x', {}, slowEnv)
    expect(await upstreamOf(next)).toBe('b')
    expect(next.headers.get('x-edgevoy-config-version')).toBe(String((await put.json() as { version: number }).version))
  })

  it('never serves a published snapshot it cannot load (another compiler version, none at all): keeps the last good one and reports it', async () => {
    const good = await putConfig(JSON.parse(JSON.stringify((await import('yaml')).parse(yamlTo(upstreams.a!)))))
    const goodVersion = ((await good.json()) as { version: number }).version
    expect(await upstreamOf(await call('/before'))).toBe('a')

    // What the authority published, rewritten by hand as if another compiler version had written it.
    const published = (await testEnv.CONFIG!.get(PUBLISHED_KEY, 'json')) as { snapshot: string; config: unknown }
    const foreign = Object.fromEntries(Object.entries(JSON.parse(published.snapshot) as Record<string, unknown>).map(([k, v]) => [k, v === COMPILER_VERSION ? 'edgevoy-compiler/0.0-elsewhere' : v]))
    const cases = [
      { version: 9998, snapshot: JSON.stringify(foreign), expect: 'snapshot_incompatible' },
      { version: 9999, snapshot: undefined, expect: 'no compiled snapshot' },
    ]
    for (const c of cases) {
      await testEnv.CONFIG!.put(PUBLISHED_KEY, JSON.stringify({ version: c.version, config: published.config, snapshot: c.snapshot, createdAt: new Date().toISOString() }))
      const res = await call('/after')
      expect(await upstreamOf(res)).toBe('a')
      expect(res.headers.get('x-edgevoy-config-version')).toBe(String(goodVersion))
      for (const path of ['/server_info', '/ready']) {
        const info = (await (await admin(path)).json()) as { config_version: string; config_problem: { version: number; errors: string[] } | null }
        expect(info.config_version).toBe(String(goodVersion))
        expect(info.config_problem?.version).toBe(c.version)
        expect(info.config_problem?.errors.join('\n')).toContain(c.expect)
      }
    }

    // The next accepted write republishes and clears the problem.
    expect((await putConfig((await import('yaml')).parse(yamlTo(upstreams.b!)))).status).toBe(200)
    expect(await upstreamOf(await call('/fixed'))).toBe('b')
    expect(((await (await admin('/server_info')).json()) as { config_problem: unknown }).config_problem).toBeNull()
  })

  it('an invalid config is never published: the authority refuses it whole with every error', async () => {
    const res = await putConfig({ static_resources: { clusters: [{ name: 'up', lb_policy: 'NOPE' }] } })
    expect(res.status).toBe(400)
    expect(JSON.stringify(await res.json())).toContain('lb_policy')
  })
})

describe('views in Envoy admin shapes', () => {
  it('GET /config_dump: clusters, listeners and routes with version_info and last_updated', async () => {
    const put = await admin('/config', { method: 'PUT', body: yamlTo(upstreams.c!), headers: { 'content-type': 'application/yaml' } })
    const version = String(((await put.json()) as { version: number }).version)
    const dump = (await (await admin('/config_dump')).json()) as { configs: Record<string, unknown>[] }
    expect(dump.configs.map((c) => c['@type'])).toEqual([
      'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
      'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
    ])
    const clusters = dump.configs[1] as { version_info: string; dynamic_active_clusters: { version_info: string; last_updated: string; cluster: { name: string } }[] }
    expect(clusters.version_info).toBe(version)
    expect(clusters.dynamic_active_clusters[0]).toMatchObject({ version_info: version, cluster: { name: 'up' } })
    expect(Date.parse(clusters.dynamic_active_clusters[0]!.last_updated)).not.toBeNaN()
    const routes = dump.configs[3] as { dynamic_route_configs: { route_config: { virtual_hosts: { name: string }[] } }[] }
    expect(routes.dynamic_route_configs[0]!.route_config.virtual_hosts[0]!.name).toBe('main')
  })

  it('GET /openapi.json is generated from the request schemas', async () => {
    const doc = (await (await admin('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties?: Record<string, { type?: string }> }> } }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/__admin/config', '/__admin/config/rollback', '/__admin/clusters/{name}/endpoints', '/__admin/route']))
    expect(Object.keys(doc.paths['/__admin/config']!)).toEqual(['get', 'put'])
    expect(doc.components.schemas.RollbackBody!.properties!.version!.type).toBe('integer')
    expect(doc.components.schemas.EndpointsPatch!.properties).toHaveProperty('add')
  })
})
