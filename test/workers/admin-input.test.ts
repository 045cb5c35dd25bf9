/**
 * Admin input that used to take the proxy down, written as the attack, inside
 * workerd with the real config authority Durable Object and KV: every body
 * below is refused with 400 (or 409) and routing is unchanged afterwards.
 * Envoy refuses such a Bootstrap at load (`--mode validate`) and never serves it.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/bootstrap/v3/bootstrap.proto
 */
import { createExecutionContext, env } from 'cloudflare:test'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import worker from '../../src/index'
import type { StateEnv } from '../../src/state/env'
import { bootstrap, cluster, connect1s } from '../support/envoy-config'
import type { EchoBody } from '../support/upstream-types'

const upstreams = inject('upstreams')
const TOKEN = 'admin-input-test-token'
const auth = { authorization: `Bearer ${TOKEN}` }

const envoyConfig = (listener: string, to: 'a' | 'b') =>
  bootstrap({
    listener: { name: listener },
    hcm: { stat_prefix: 'edge' },
    virtual_hosts: [{ name: 'main', domains: ['*'], routes: [{ name: 'all', match: { prefix: '/' }, route: { cluster: to } }] }],
    clusters: { a: connect1s(upstreams.a!), b: connect1s(upstreams.b!) },
  })

// This Worker serves the listener "edge" (EDGEVOY_LISTENER), from a base config routing to upstream a.
const adminEnv = {
  ...(env as unknown as StateEnv),
  ADMIN_TOKEN: TOKEN,
  CONFIG_REFRESH_SECONDS: '0',
  EDGEVOY_LISTENER: 'edge',
  EDGEVOY_CONFIG: JSON.stringify(envoyConfig('edge', 'a')),
} as StateEnv

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  return worker.fetch(new Request(`http://edge.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>, adminEnv, createExecutionContext())
}
const admin = (path: string, init: RequestInit = {}) => call(`/__admin${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } })
const put = (path: string, body: string, type = 'application/json') => admin(path, { method: 'PUT', body, headers: { 'content-type': type } })
const routedTo = async () => ((await (await call('/anything')).json()) as EchoBody).id
const version = async () => Number((await admin('/config')).headers.get('etag')!.replaceAll('"', ''))
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error

const nested = (depth: number) => '{"static_resources":' + '['.repeat(depth) + ']'.repeat(depth) + '}'
const clustersOnly = JSON.stringify({ static_resources: { clusters: [cluster('a', connect1s(upstreams.a!))] } })
let before: number

beforeAll(async () => {
  // A known good version routing to b, so "unchanged" is visible.
  const res = await put('/config', JSON.stringify(envoyConfig('edge', 'b')))
  expect(res.status).toBe(200)
  before = await version()
  expect(await routedTo()).toBe('b')
})

describe('PUT /config refuses what would serve nothing, and changes nothing', () => {
  it.each([
    ['an empty JSON body', 'invalid_config', '', 'application/json'],
    ['an empty YAML body', 'invalid_config', '\n  \n', 'application/yaml'],
    ['{}', 'invalid_config', '{}', 'application/json'],
    ['null', 'invalid_config', 'null', 'application/json'],
    ['a list', 'invalid_config', '[]', 'application/json'],
    ['a string', 'invalid_config', '"static_resources"', 'application/json'],
    ['YAML {}', 'invalid_config', '{}', 'application/yaml'],
    ['YAML null', 'invalid_config', '~', 'application/yaml'],
    ['a YAML comment only', 'invalid_config', '# nothing here\n', 'application/yaml'],
    ['clusters but no listener', 'invalid_config', clustersOnly, 'application/json'],
    ['JSON nested 10,000 deep', 'invalid_config', nested(10_000), 'application/json'],
    ['YAML flow nested 10,000 deep', 'invalid_config', nested(10_000), 'application/yaml'],
    ['JSON with a duplicate key', 'invalid_json', JSON.stringify(envoyConfig('edge', 'a')).replace('{"static_resources":', '{"static_resources":{},"static_resources":'), 'application/json'],
    ['YAML with a duplicate key', 'invalid_yaml', 'static_resources: {}\nstatic_resources: {}\n', 'application/yaml'],
  ])('%s → 400 %s', async (_, code, body, type) => {
    const res = await put('/config', body, type)
    expect(res.status).toBe(400)
    expect((await errorOf(res)).code).toBe(code)
    expect(await version()).toBe(before)
    expect(await routedTo()).toBe('b')
  })

  it('101 levels are refused, the depth of a real config is not', async () => {
    expect((await put('/config', nested(101))).status).toBe(400)
    const deepButFine = envoyConfig('edge', 'b') as { static_resources: { clusters: unknown[] } }
    let meta: Record<string, unknown> = {}
    const root = meta
    for (let i = 0; i < 40; i++) meta = (meta.x = {}) as Record<string, unknown>
    ;(deepButFine.static_resources.clusters[1] as Record<string, unknown>).metadata = { filter_metadata: { deep: root } }
    const ok = await put('/config', JSON.stringify(deepButFine))
    expect(ok.status).toBe(200)
    before = await version()
  })

  it('POST /config/validate says the same (an empty body is an error, not valid)', async () => {
    for (const body of ['', '{}', 'null']) {
      const res = await admin('/config/validate', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
      expect([body, res.status, (await errorOf(res)).code]).toEqual([body, 400, 'invalid_config'])
    }
  })

  it('PUT /nodes/:n/config refuses the same bodies', async () => {
    for (const body of ['', '{}', 'null', clustersOnly, nested(10_000)]) {
      const res = await put('/nodes/admin-input-sidecar/config', body)
      expect(res.status, body.slice(0, 30)).toBe(400)
    }
    expect((await admin('/nodes/admin-input-sidecar/config')).status).toBe(404)
  })
})

describe('a config without the listener this Worker serves', () => {
  it('is refused with 409 naming the listener, and routing is unchanged', async () => {
    const res = await put('/config', JSON.stringify(envoyConfig('ingress', 'a')))
    expect(res.status).toBe(409)
    const error = await errorOf(res)
    expect(error.code).toBe('listener_missing')
    expect(error.message).toContain('"edge"')
    expect(await version()).toBe(before)
    expect(await routedTo()).toBe('b')
  })

  it('is accepted with ?force=true (the isolate then keeps serving the last version it can)', async () => {
    const res = await put('/config?force=true', JSON.stringify(envoyConfig('ingress', 'a')))
    expect(res.status).toBe(200)
    expect(await version()).toBe(before + 1)
    expect(await routedTo()).toBe('b')
    const info = (await (await admin('/server_info')).json()) as { config_problem: { errors: string[] } | null }
    expect(info.config_problem?.errors.join(' ')).toContain('no listener named "edge"')
  })
})

describe('the dashboard is behind the token like every admin path', () => {
  it.each(['/__admin', '/__admin/'])('GET %s without a token → 401 with a Basic challenge a browser can answer', async (path) => {
    const res = await call(path)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="edgevoy admin"/)
    expect(await res.text()).not.toMatch(/<html/i)
  })

  it('a wrong token, Bearer or Basic → 401', async () => {
    expect((await call('/__admin/', { headers: { authorization: 'Bearer nope' } })).status).toBe(401)
    expect((await call('/__admin/', { headers: { authorization: `Basic ${btoa('admin:nope')}` } })).status).toBe(401)
  })

  it('the token as Bearer, or as the Basic password → the page', async () => {
    for (const authorization of [`Bearer ${TOKEN}`, `Basic ${btoa(`admin:${TOKEN}`)}`]) {
      const res = await call('/__admin/', { headers: { authorization } })
      expect(res.status).toBe(200)
      expect(await res.text()).toMatch(/<html/i)
    }
  })

  it('Basic is accepted for the page only, not for the API', async () => {
    expect((await call('/__admin/config', { headers: { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` } })).status).toBe(401)
  })
})
