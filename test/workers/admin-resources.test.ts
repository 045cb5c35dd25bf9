/**
 * Resource-level admin edits through the config authority Durable Object:
 * no lost updates under concurrency, If-Match preconditions, route placement,
 * and the routing explanation agreeing with the route a request really takes.
 * Envoy's first-match route rule the explanation follows:
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#route-table
 */
import { createExecutionContext, env } from 'cloudflare:test'
import { beforeEach, describe, expect, inject, it } from 'vitest'
import worker from '../../src/index'
import type { StateEnv } from '../../src/state/env'
import { bootstrap, connect1s, type BootstrapJson } from '../support/envoy-config'
import type { EchoBody } from '../support/upstream-types'

const upstreams = inject('upstreams')
const TOKEN = 'admin-resources-token'
const adminEnv = { ...(env as unknown as StateEnv), ADMIN_TOKEN: TOKEN, CONFIG_REFRESH_SECONDS: '0' } as StateEnv
const auth = { authorization: `Bearer ${TOKEN}` }

// No waitOnExecutionContext: the health poller keeps a waitUntil open; the config check is awaited in-request at 0 s.
const call = (path: string, init: RequestInit = {}) =>
  worker.fetch(new Request(`http://edge.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>, adminEnv, createExecutionContext())
const admin = (path: string, init: RequestInit = {}) => call(`/__admin${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } })
const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  admin(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }), headers: { 'content-type': 'application/json', ...headers } })
const json = async <T>(res: Response) => (await res.json()) as T
const versionOf = (res: Response) => Number(res.headers.get('etag')!.replaceAll('"', ''))

/** A cluster body for PUT /clusters/:name (the name is the path's). */
const cluster = (port: number, extra: Record<string, unknown> = {}) => ({
  type: 'STATIC',
  connect_timeout: '1s',
  load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  ...extra,
})
const base = bootstrap({
  listener: { name: 'edge' },
  virtual_hosts: [
    {
      name: 'main',
      domains: ['edge.test'],
      routes: [
        { name: 'canary', match: { prefix: '/', headers: [{ name: 'x-canary', string_match: { exact: '1' } }] }, route: { cluster: 'b' } },
        { name: 'api', match: { prefix: '/api/' }, route: { cluster: 'b' } },
        { name: 'only-root', match: { path: '/' }, route: { cluster: 'a' } },
      ],
    },
  ],
  clusters: { a: connect1s(upstreams.a!), b: connect1s(upstreams.b!), x: connect1s(upstreams.c!) },
})

beforeEach(async () => {
  expect((await send('PUT', '/config', base)).status).toBe(200)
})

describe('concurrent writes through the config authority', () => {
  it('20 PUT /clusters/x with the same If-Match: exactly one 200, the rest 412, the winner’s change stored', async () => {
    const v = versionOf(await admin('/config'))
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send('PUT', '/clusters/x', cluster(upstreams.c!, { metadata: { filter_metadata: { test: { writer: i } } } }), { 'if-match': `"${v}"` })),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 412)).toHaveLength(19)
    const winner = statuses.indexOf(200)
    const stored = await json<{ metadata: { filter_metadata: { test: { writer: number } } } }>(await admin('/clusters/x'))
    expect(stored.metadata.filter_metadata.test.writer).toBe(winner)
    expect(versionOf(await admin('/config'))).toBe(v + 1)
  })

  it('20 concurrent edits of 20 different clusters without If-Match: all 20 present', async () => {
    const v = versionOf(await admin('/config'))
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => send('PUT', `/clusters/c${i}`, cluster(upstreams.a!))))
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201))
    const config = await json<BootstrapJson>(await admin('/config'))
    const names = config.static_resources.clusters.map((c) => c.name)
    for (let i = 0; i < 20; i++) expect(names).toContain(`c${i}`)
    const versions = (await Promise.all(results.map((r) => json<{ version: number }>(r)))).map((r) => r.version).sort((a, b) => a - b)
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => v + 1 + i))
  })
})

describe('resource edits', () => {
  it('deleting a cluster that routes use → 409 naming the routes; an unused one goes', async () => {
    const res = await send('DELETE', '/clusters/b')
    expect(res.status).toBe(409)
    const { error } = await json<{ error: { code: string; details: string[] } }>(res)
    expect(error.code).toBe('cluster_in_use')
    expect(error.details).toEqual(['edge/main/canary', 'edge/main/api'])
    expect((await send('DELETE', '/clusters/x')).status).toBe(200)
    expect((await admin('/clusters/x')).status).toBe(404)
  })

  it('PATCH endpoints adds and removes hosts, reflected in GET /clusters', async () => {
    const res = await send('PATCH', '/clusters/x/endpoints', { add: [{ address: '127.0.0.1', port: upstreams.a!, weight: 3 }], remove: [{ address: '127.0.0.1', port: upstreams.c! }] })
    expect(res.status).toBe(200)
    const view = await json<{ cluster_statuses: { name: string; host_statuses: { address: { socket_address: { port_value: number } }; weight: number }[] }[] }>(await admin('/clusters'))
    const x = view.cluster_statuses.find((c) => c.name === 'x')!
    expect(x.host_statuses.map((h) => [h.address.socket_address.port_value, h.weight])).toEqual([[upstreams.a, 3]])
    const text = await (await admin('/clusters?format=text')).text()
    expect(text).toContain(`x::127.0.0.1:${upstreams.a}::weight::3`)
    expect(text).toContain(`x::127.0.0.1:${upstreams.a}::health_flags::healthy`)
    expect((await send('PATCH', '/clusters/x/endpoints', { remove: [{ address: '10.9.9.9', port: 1 }] })).status).toBe(404)
  })

  it('PUT a route with ?before= places it, and routing follows at once; DELETE removes it', async () => {
    const res = await send('PUT', '/virtual_hosts/main/routes/special?before=api', { match: { prefix: '/api/special' }, direct_response: { status: 218, body: { inline_string: 'special' } } })
    expect(res.status).toBe(201)
    const vh = await json<{ routes: { name: string }[] }>(await admin('/virtual_hosts/main'))
    expect(vh.routes.map((r) => r.name)).toEqual(['canary', 'special', 'api', 'only-root'])
    expect((await call('/api/special/x')).status).toBe(218)
    expect((await send('PUT', '/virtual_hosts/main/routes/late?after=nope', { match: { prefix: '/' }, route: { cluster: 'a' } })).status).toBe(400)
    expect((await send('DELETE', '/virtual_hosts/main/routes/special')).status).toBe(200)
    expect(((await json<EchoBody>(await call('/api/special/x'))).id)).toBe('b')
  })

  it('a resource edit that breaks the config → 400 with its errors, nothing stored', async () => {
    const v = versionOf(await admin('/config'))
    const res = await send('PUT', '/virtual_hosts/main/routes/bad', { match: { prefix: '/bad' }, route: { cluster: 'missing' } })
    expect(res.status).toBe(400)
    expect(JSON.stringify(await res.json())).toContain('missing')
    expect(versionOf(await admin('/config'))).toBe(v)
  })
})

describe('GET /route explains the decision the request then takes', () => {
  interface Explanation { virtual_host: string | null; route: { name: string; action: { cluster?: string } } | null; tried: { name: string; failed: string[] }[] }

  it('a matching request: names the route, and why earlier routes failed', async () => {
    const ex = await json<Explanation>(await admin('/route?authority=edge.test&path=/api/users?id=1&method=GET'))
    expect(ex.virtual_host).toBe('main')
    expect(ex.route?.name).toBe('api')
    expect(ex.route?.action.cluster).toBe('b')
    expect(ex.tried).toEqual([{ name: 'canary', index: 0, failed: ['header x-canary exact "1"'], predicates: expect.any(Array) }].map((t) => expect.objectContaining({ name: t.name, failed: t.failed })))
    const res = await call('/api/users?id=1')
    expect((await json<EchoBody>(res)).id).toBe('b')
    // The request shows in this isolate's counters for the cluster the explanation named.
    const text = await (await admin('/clusters?format=text')).text()
    expect(Number(/^b::upstream_rq_total::(\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1)

    const canary = await json<Explanation>(await admin('/route?authority=edge.test&path=/&header.x-canary=1'))
    expect(canary.route?.name).toBe('canary')
    expect((await json<EchoBody>(await call('/', { headers: { 'x-canary': '1' } }))).id).toBe('b')
    const root = await json<Explanation>(await admin('/route?authority=edge.test&path=/'))
    expect(root.route?.name).toBe('only-root')
    expect((await json<EchoBody>(await call('/'))).id).toBe('a')
  })

  it('a request that matches no route: says so, and the request gets 404', async () => {
    const ex = await json<Explanation>(await admin('/route?authority=edge.test&path=/nothing'))
    expect(ex.route).toBeNull()
    expect(ex.tried.map((t) => [t.name, t.failed])).toEqual([
      ['canary', ['header x-canary exact "1"']],
      ['api', ['prefix "/api/"']],
      ['only-root', ['path "/"']],
    ])
    expect((await call('/nothing')).status).toBe(404)
    const noHost = await json<Explanation>(await admin('/route?authority=elsewhere.test&path=/'))
    expect(noHost.virtual_host).toBeNull()
    expect((await call('/', { headers: { host: 'elsewhere.test' } })).status).toBe(404)
  })
})
