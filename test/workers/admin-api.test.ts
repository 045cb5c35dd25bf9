/**
 * The admin API inside workerd, with Miniflare's real KV namespace and config
 * authority Durable Object (wrangler.toml bindings), forwarding to real
 * upstreams on 127.0.0.1. The Worker's fetch is called with the test env plus
 * ADMIN_TOKEN (a secret, so not in wrangler.toml) and CONFIG_REFRESH_SECONDS=0,
 * as `edgevoy dev` runs it.
 * Envoy's admin endpoints, whose shapes /config_dump and /clusters follow:
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin
 */
import { createExecutionContext, env, SELF } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import worker from '../../src/index'
import type { StateEnv } from '../../src/state/env'
import { controlClient } from '../support/control-client'
import { bootstrap, connect1s, type BootstrapJson } from '../support/envoy-config'
import type { EchoBody } from '../support/upstream-types'

const upstreams = inject('upstreams')
const control = controlClient(inject('upstreamControl'))
const TOKEN = 'admin-api-test-token'
const adminEnv = { ...(env as unknown as StateEnv), ADMIN_TOKEN: TOKEN, CONFIG_REFRESH_SECONDS: '0' } as StateEnv
const auth = { authorization: `Bearer ${TOKEN}` }

async function call(path: string, init: RequestInit = {}, e: StateEnv = adminEnv): Promise<Response> {
  const ctx = createExecutionContext()
  // Not waitOnExecutionContext: the health poller keeps a waitUntil open for its
  // loop; with CONFIG_REFRESH_SECONDS=0 the config check is awaited in the request.
  return worker.fetch(new Request(`http://edge.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>, e, ctx)
}
const admin = (path: string, init: RequestInit = {}) => call(`/__admin${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } })
const putJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  admin(path, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })
const upstreamOf = async (res: Response) => ((await res.json()) as EchoBody).id

type Route = Record<string, unknown>
/** Listener `edge` for host edge.test; clusters map name → one port on 127.0.0.1. */
const envoyConfig = (routes: Route[], clusters: Record<string, number>) =>
  bootstrap({
    listener: { name: 'edge' },
    hcm: { stat_prefix: 'edge' },
    virtual_hosts: [{ name: 'main', domains: ['edge.test'], routes }],
    clusters: Object.fromEntries(Object.entries(clusters).map(([name, port]) => [name, connect1s(port)])),
  })
const toA = envoyConfig([{ name: 'all', match: { prefix: '/' }, route: { cluster: 'a' } }], { a: upstreams.a!, b: upstreams.b! })
const toB = envoyConfig([{ name: 'all', match: { prefix: '/' }, route: { cluster: 'b' } }], { a: upstreams.a!, b: upstreams.b! })

async function currentVersion(): Promise<number> {
  const res = await admin('/config')
  return Number(res.headers.get('etag')!.replaceAll('"', ''))
}

describe('admin API: auth fails closed', () => {
  it('answers 404 for every admin path when no ADMIN_TOKEN is set (the wrangler.toml env)', async () => {
    for (const path of ['/__admin', '/__admin/config', '/__admin/clusters', '/__admin/nope']) {
      const res = await SELF.fetch(`http://edge.test${path}`, { headers: auth })
      expect(res.status, path).toBe(404)
      expect(await res.text()).toBe('')
    }
  })

  it('answers 401 with WWW-Authenticate without the token or with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }] as Record<string, string>[]) {
      const res = await call('/__admin/config', { headers })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="edgevoy admin"')
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized')
    }
  })
})

describe('admin API: config lifecycle', () => {
  it('PUT /config changes routing for the very next request; GET returns it; rollback restores', async () => {
    const put1 = await putJson('/config', toA)
    expect(put1.status).toBe(200)
    const v1 = ((await put1.json()) as { version: number }).version
    expect(put1.headers.get('etag')).toBe(`"${v1}"`)
    const first = await call('/anything')
    expect(await upstreamOf(first)).toBe('a')
    expect(first.headers.get('x-edgevoy-config-version')).toBe(String(v1))

    const put2 = await putJson('/config', toB, { 'if-match': `"${v1}"` })
    expect(put2.status).toBe(200)
    const v2 = ((await put2.json()) as { version: number }).version
    expect(v2).toBe(v1 + 1)
    const next = await call('/anything')
    expect(await upstreamOf(next)).toBe('b')
    expect(next.headers.get('x-edgevoy-config-version')).toBe(String(v2))

    const got = await admin('/config')
    expect(got.headers.get('etag')).toBe(`"${v2}"`)
    const body = (await got.json()) as BootstrapJson
    expect(body.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config.route_config.virtual_hosts[0]!.routes[0]).toMatchObject({ route: { cluster: 'b' } })
    const yaml = await admin('/config?format=yaml')
    expect(yaml.headers.get('content-type')).toContain('application/yaml')
    expect(await yaml.text()).toContain('cluster: b')

    const stale = await putJson('/config', toA, { 'if-match': `"${v1}"` })
    expect(stale.status).toBe(412)
    expect(await upstreamOf(await call('/x'))).toBe('b')

    const rb = await admin('/config/rollback', { method: 'POST', body: JSON.stringify({ version: v1 }), headers: { 'content-type': 'application/json' } })
    expect(rb.status).toBe(200)
    expect(((await rb.json()) as { version: number }).version).toBe(v2 + 1)
    expect(await upstreamOf(await call('/after-rollback'))).toBe('a')

    const versions = (await (await admin('/config/versions')).json()) as { current: number; versions: { version: number; note: string }[] }
    expect(versions.current).toBe(v2 + 1)
    expect(versions.versions.slice(0, 3).map((v) => v.note)).toEqual([`rollback to ${v1}`, 'PUT /config', 'PUT /config'])
    const old = (await (await admin(`/config/versions/${v2}`)).json()) as { version: number; config: unknown }
    expect(old.version).toBe(v2)
    expect(old.config).toEqual(body)
  })

  it('accepts YAML bodies and reports YAML errors with their lines, all of them, changing nothing', async () => {
    await putJson('/config', toA)
    const before = await currentVersion()
    const yaml = [
      'static_resources:',
      '  listeners:',
      '  - name: edge',
      '    address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }',
      '    filter_chains:',
      '    - filters:',
      '      - name: envoy.filters.network.http_connection_manager',
      '        typed_config:',
      '          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      '          stat_prefix: edge',
      '          route_config:',
      '            virtual_hosts:',
      '            - name: main',
      '              domains: ["edge.test"]',
      '              routes:',
      '              - match: { prefix: "/" }',
      '                route: { cluster: nowhere }',
      '          http_filters: [{ name: envoy.filters.http.router }]',
      '  clusters:',
      '  - name: a',
      '    lb_policy: SOMETIMES',
      `    load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstreams.a} } } } }] }] }`,
    ].join('\n')
    const res = await admin('/config', { method: 'PUT', body: yaml, headers: { 'content-type': 'application/yaml' } })
    expect(res.status).toBe(400)
    const err = (await res.json()) as { error: { code: string; details: { path: (string | number)[]; line?: number; message: string }[] } }
    expect(err.error.code).toBe('invalid_config')
    expect(err.error.details.length).toBeGreaterThanOrEqual(2)
    expect(err.error.details.every((d) => typeof d.line === 'number')).toBe(true)
    expect(err.error.details.map((d) => d.path.join('.'))).toEqual(expect.arrayContaining(['static_resources.clusters.0.lb_policy']))
    expect(JSON.stringify(err.error.details)).toContain('nowhere')
    // Nothing changed: same version, same routing.
    expect(await currentVersion()).toBe(before)
    expect(await upstreamOf(await call('/still-a'))).toBe('a')

    const valid = await admin('/config/validate', { method: 'POST', body: yaml.replace('SOMETIMES', 'RANDOM').replace('nowhere', 'a'), headers: { 'content-type': 'application/yaml' } })
    expect(valid.status).toBe(200)
    expect(await currentVersion()).toBe(before)
  })

  it('a JSON config with several errors → 400 listing each; routing unchanged', async () => {
    await putJson('/config', toA)
    const bad = structuredClone(toA) as { static_resources: { clusters: Record<string, unknown>[] } }
    bad.static_resources.clusters[0]!.lb_policy = 'NOPE'
    bad.static_resources.clusters[1]!.connect_timeout = 'soon'
    const res = await putJson('/config', bad)
    expect(res.status).toBe(400)
    const { error } = (await res.json()) as { error: { message: string; details: { path: (string | number)[] }[] } }
    expect(error.details.map((d) => d.path.join('.')).sort()).toEqual(['static_resources.clusters.0.lb_policy', 'static_resources.clusters.1.connect_timeout'])
    expect(await upstreamOf(await call('/unchanged'))).toBe('a')
  })

  it('refuses bodies over 1 MiB with 413', async () => {
    const res = await admin('/config/validate', { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1), headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large')
  })
})

describe('admin API: admin and proxied traffic never mix', () => {
  it('admin paths never reach an upstream; paths that only look like it are proxied', async () => {
    const { port } = await control.start('admin-api-private')
    await putJson('/config', envoyConfig([{ name: 'all', match: { prefix: '/' }, route: { cluster: 'p' } }], { p: port }))
    const before = (await control.state('admin-api-private')).requests
    expect((await call('/__admin/no-such-endpoint', { headers: auth })).status).toBe(404)
    expect((await call('/__admin/config')).status).toBe(401)
    expect((await call('/__admin', {}, { ...adminEnv, ADMIN_TOKEN: undefined })).status).toBe(404)
    expect((await control.state('admin-api-private')).requests).toBe(before)
    for (const path of ['/__adminx', '/api/__admin/config']) expect(await upstreamOf(await call(path))).toBe('admin-api-private')
    expect((await control.state('admin-api-private')).requests).toBe(before + 2)
  })

  it('ADMIN_HOST restricts the admin API to one hostname; ADMIN_PREFIX moves it', async () => {
    const { port } = await control.start('admin-api-private')
    await putJson('/config', envoyConfig([{ name: 'all', match: { prefix: '/' }, route: { cluster: 'p' } }], { p: port }))
    const hosted = { ...adminEnv, ADMIN_HOST: 'admin.internal' }
    expect(await upstreamOf(await call('/__admin/server_info', { headers: auth }, hosted))).toBe('admin-api-private')
    const ok = await worker.fetch(new Request('http://admin.internal/__admin/server_info', { headers: auth }) as Request<unknown, IncomingRequestCfProperties>, hosted, createExecutionContext())
    expect(ok.status).toBe(200)
    const moved = { ...adminEnv, ADMIN_PREFIX: '/_ops' }
    expect((await call('/_ops/server_info', { headers: auth }, moved)).status).toBe(200)
    expect(await upstreamOf(await call('/__admin/server_info', { headers: auth }, moved))).toBe('admin-api-private')
  })
})
