/**
 * Route actions through the real router app, inside workerd, forwarding to
 * real HTTP upstreams on 127.0.0.1.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction
 */
import { describe, expect, inject, it } from 'vitest'
import { testApp, type Echo } from '../support/app'
import { anyHost, bootstrap, compileJson } from '../support/config'
import { seededRandom } from '../support/hosts'
import { compileRe2Regex } from '../../src/config/re2'

const ups = inject('upstreams')
const json = async (r: Response) => (await r.json()) as Echo

describe('forwarding and rewrites', () => {
  const snap = compileJson(
    bootstrap({
      virtual_hosts: anyHost([
        { match: { prefix: '/old/' }, route: { cluster: 'a', prefix_rewrite: '/new/' } },
        { match: { prefix: '/strip' }, route: { cluster: 'a', prefix_rewrite: '/' } },
        { match: { safe_regex: { regex: '/users/([0-9]+)/profile' } }, route: { cluster: 'a', regex_rewrite: { pattern: { regex: '^/users/([0-9]+)/profile$' }, substitution: '/profiles/\\1' } } },
        { match: { prefix: '/host' }, route: { cluster: 'a', host_rewrite_literal: 'internal.example' } },
        { match: { prefix: '/' }, route: { cluster: 'a' } },
      ]),
      clusters: { a: [ups.a!] },
    }),
    'v7',
  )
  const { request } = testApp(snap)

  it('forwards method, path, query and body; answers with the upstream response and the config version', async () => {
    const res = await request('http://example.com/x/y?q=1&q=2', { method: 'POST', body: 'hello' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-edgevoy-config-version')).toBe('v7')
    expect(res.headers.get('x-envoy-upstream-service-time')).toMatch(/^\d+$/)
    const echo = await json(res)
    expect(echo).toMatchObject({ id: 'a', method: 'POST', url: '/x/y?q=1&q=2', bodyBytes: 5 })
  })
  it('prefix_rewrite swaps the matched prefix and keeps the rest and the query; x-envoy-original-path keeps the old path', async () => {
    const echo = await json(await request('http://example.com/old/thing?z=1'))
    expect(echo.url).toBe('/new/thing?z=1')
    expect(echo.headers['x-envoy-original-path']).toBe('/old/thing?z=1')
    expect((await json(await request('http://example.com/strip/me'))).url).toBe('//me')
  })
  it('regex_rewrite substitutes capture groups in the path', async () => {
    expect((await json(await request('http://example.com/users/42/profile?v=2'))).url).toBe('/profiles/42?v=2')
  })
  it('host_rewrite_literal: the rewritten authority travels in x-forwarded-host', async () => {
    const echo = await json(await request('http://example.com/host'))
    expect(echo.headers['x-forwarded-host']).toBe('internal.example')
    // workerd's fetch() sends the URL's host as Host whatever the headers say.
    expect(echo.headers.host).toBe(`127.0.0.1:${ups.a}`)
  })
  it('keeps the original authority in x-forwarded-host without a rewrite, and sets x-forwarded-proto and x-request-id', async () => {
    const echo = await json(await request('http://shop.example.com/'))
    expect(echo.headers['x-forwarded-host']).toBe('shop.example.com')
    expect(echo.headers['x-forwarded-proto']).toBe('http')
    expect(echo.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    const kept = await json(await request('http://shop.example.com/', { headers: { 'x-request-id': 'abc-123' } }))
    expect(kept.headers['x-request-id']).toBe('abc-123')
  })
  it('strips client-supplied x-envoy-* headers at the edge', async () => {
    const echo = await json(await request('http://example.com/', { headers: { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '99' } }))
    expect(echo.headers['x-envoy-retry-on']).toBeUndefined()
    expect(echo.headers['x-envoy-max-retries']).toBeUndefined()
  })
})

describe('redirects', () => {
  // https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-redirectaction
  const snap = compileJson(
    bootstrap({
      virtual_hosts: anyHost([
        { match: { prefix: '/secure' }, redirect: { https_redirect: true } },
        { match: { prefix: '/moved' }, redirect: { host_redirect: 'new.example.com', response_code: 'PERMANENT_REDIRECT' } },
        { match: { prefix: '/port' }, redirect: { port_redirect: 8443, scheme_redirect: 'https' } },
        { match: { prefix: '/docs/' }, redirect: { prefix_rewrite: '/manual/', response_code: 'FOUND' } },
        { match: { prefix: '/path' }, redirect: { path_redirect: '/elsewhere', response_code: 'TEMPORARY_REDIRECT' } },
        { match: { prefix: '/strip' }, redirect: { path_redirect: '/clean', strip_query: true, response_code: 'SEE_OTHER' } },
      ]),
    }),
  )
  const { request } = testApp(snap)
  const loc = async (url: string) => {
    const r = await request(url)
    return [r.status, r.headers.get('location')]
  }
  it('https_redirect swaps the scheme and drops the old default port; default code 301', async () => {
    expect(await loc('http://example.com:80/secure?a=1')).toEqual([301, 'https://example.com/secure?a=1'])
    expect(await loc('http://example.com:8080/secure')).toEqual([301, 'https://example.com:8080/secure'])
  })
  it('host_redirect replaces the authority; PERMANENT_REDIRECT is 308', async () => {
    expect(await loc('http://example.com:8080/moved/x')).toEqual([308, 'http://new.example.com/moved/x'])
  })
  it('port_redirect with scheme_redirect', async () => {
    expect(await loc('http://example.com/port')).toEqual([301, 'https://example.com:8443/port'])
  })
  it('prefix_rewrite in a redirect', async () => {
    expect(await loc('http://example.com/docs/intro?lang=en')).toEqual([302, 'http://example.com/manual/intro?lang=en'])
  })
  it('path_redirect keeps the query unless strip_query', async () => {
    expect(await loc('http://example.com/path?a=1')).toEqual([307, 'http://example.com/elsewhere?a=1'])
    expect(await loc('http://example.com/strip?a=1')).toEqual([303, 'http://example.com/clean'])
  })
})

describe('direct responses, 404s and header mutations', () => {
  const snap = compileJson(
    bootstrap({
      virtual_hosts: [
        {
          name: 'site',
          domains: ['site.test'],
          response_headers_to_add: [{ header: { key: 'x-level', value: 'vhost' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
          request_headers_to_add: [{ header: { key: 'x-order', value: 'vhost' } }],
          routes: [
            { match: { path: '/health' }, direct_response: { status: 200, body: { inline_string: 'ok' } }, response_headers_to_add: [{ header: { key: 'x-level', value: 'route' } }] },
            {
              match: { prefix: '/' },
              route: { cluster: 'a' },
              request_headers_to_add: [
                { header: { key: 'x-order', value: 'route' } },
                { header: { key: 'x-client', value: '%DOWNSTREAM_REMOTE_ADDRESS%' } },
                { header: { key: 'x-once', value: 'route' }, append_action: 'ADD_IF_ABSENT' },
              ],
              request_headers_to_remove: ['x-secret'],
              response_headers_to_remove: ['x-upstream-id'],
            },
          ],
        },
      ],
      route_config: { request_headers_to_add: [{ header: { key: 'x-order', value: 'global' } }] },
      // Envoy appends the client to x-forwarded-for only with use_remote_address.
      hcm: { use_remote_address: true },
      clusters: { a: [ups.a!] },
    }),
  )
  const { request } = testApp(snap)

  it('direct_response answers at the edge with its inline body', async () => {
    const r = await request('http://site.test/health')
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('ok')
    expect(r.headers.get('content-type')).toBe('text/plain')
    // route level first, then the virtual host's overwrite: the outer level wins (Envoy's default order).
    expect(r.headers.get('x-level')).toBe('vhost')
  })
  it('no virtual host → 404, no route → 404 (Envoy answers NR with an empty body)', async () => {
    const r = await request('http://other.test/')
    expect(r.status).toBe(404)
    expect(await r.text()).toBe('')
  })
  it('request headers: removals, then additions route → vhost → route config; ADD_IF_ABSENT keeps the client value', async () => {
    const echo = await json(await request('http://site.test/x', { headers: { 'x-secret': 's', 'x-once': 'client', 'cf-connecting-ip': '203.0.113.9' } }))
    expect(echo.headers['x-secret']).toBeUndefined()
    expect(echo.headers['x-order']).toBe('route, vhost, global')
    expect(echo.headers['x-once']).toBe('client')
    expect(echo.headers['x-client']).toBe('203.0.113.9')
    expect(echo.headers['x-forwarded-for']).toBe('203.0.113.9')
  })
  it('response_headers_to_remove', async () => {
    const r = await request('http://site.test/x')
    expect(r.headers.get('x-upstream-id')).toBeNull()
    expect(r.headers.get('x-level')).toBe('vhost')
  })
})

describe('clusters and load balancing', () => {
  it('round-robins across a cluster’s endpoints in strict rotation', async () => {
    const snap = compileJson(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'abc' } }]), clusters: { abc: [ups.a!, ups.b!, ups.c!] } }))
    const { request } = testApp(snap)
    const ids: string[] = []
    for (let i = 0; i < 9; i++) ids.push((await json(await request('http://x/'))).id)
    expect(new Set(ids.slice(0, 3)).size).toBe(3)
    expect(ids.slice(3, 6)).toEqual(ids.slice(0, 3))
    expect(ids.slice(6, 9)).toEqual(ids.slice(0, 3))
  })
  it('weighted_clusters shifts traffic by weight', async () => {
    const snap = compileJson(
      bootstrap({
        virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'stable', weight: 80 }, { name: 'canary', weight: 20, request_headers_to_add: [{ header: { key: 'x-canary', value: '1' } }] }] } } }]),
        clusters: { stable: [ups.a!], canary: [ups.b!] },
      }),
    )
    const { request } = testApp(snap, { random: seededRandom(7) })
    const counts: Record<string, number> = { a: 0, b: 0 }
    for (let i = 0; i < 200; i++) {
      const echo = await json(await request('http://x/'))
      counts[echo.id]!++
      if (echo.id === 'b') expect(echo.headers['x-canary']).toBe('1')
    }
    expect(counts.a! / 200).toBeGreaterThan(0.7)
    expect(counts.a! / 200).toBeLessThan(0.9)
  })
  it('cluster_header picks the cluster named by a request header; unknown → 503', async () => {
    const snap = compileJson(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster_header: 'x-cluster' } }]), clusters: { one: [ups.a!], two: [ups.b!] } }))
    const { request } = testApp(snap)
    expect((await json(await request('http://x/', { headers: { 'x-cluster': 'two' } }))).id).toBe('b')
    expect((await request('http://x/', { headers: { 'x-cluster': 'nope' } })).status).toBe(503)
    expect((await request('http://x/')).status).toBe(503)
  })
  it('a cluster without endpoints → 503 no healthy upstream', async () => {
    const snap = compileJson(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'empty' } }]), clusters: { empty: [] } }))
    const r = await testApp(snap).request('http://x/')
    expect(r.status).toBe(503)
    expect(await r.text()).toBe('no healthy upstream')
  })
  it('connection refused → 503 with Envoy’s text; route timeout → 504', async () => {
    const snap = compileJson(
      bootstrap({
        virtual_hosts: anyHost([
          { match: { prefix: '/dead' }, route: { cluster: 'dead' } },
          { match: { prefix: '/slow' }, route: { cluster: 'slow', timeout: '0.2s' } },
        ]),
        clusters: { dead: [inject('unusedPort')], slow: [ups.slow!] },
      }),
    )
    const { request } = testApp(snap)
    const dead = await request('http://x/dead')
    expect(dead.status).toBe(503)
    expect(await dead.text()).toMatch(/^upstream connect error or disconnect\/reset before headers/)
    const t0 = Date.now()
    const slow = await request('http://x/slow/2000')
    expect(slow.status).toBe(504)
    expect(await slow.text()).toBe('upstream request timeout')
    expect(Date.now() - t0).toBeLessThan(1500)
  })
})

describe('regex_rewrite substitution (RE2::GlobalReplace rewrite syntax)', () => {
  // https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/regex.proto#type-matcher-v3-regexmatchandsubstitute
  it('maps \\N to groups, \\0 to the whole match, \\\\ to a backslash, and keeps $ literal', () => {
    const sub = (path: string, re: string, s: string) => compileRe2Regex(re).replaceAll(path, s)
    expect(sub('/users/42', '/users/([0-9]+)', '/u/\\1')).toBe('/u/42')
    expect(sub('/users/42', '[0-9]+', '<\\0>')).toBe('/users/<42>')
    expect(sub('/a', 'a', 'b\\\\c')).toBe('/b\\c')
    expect(sub('/a', 'a', '$1$&')).toBe('/$1$&')
  })

  it('replaces every non-overlapping match, skipping an empty match where the last one ended (RE2::GlobalReplace)', () => {
    const sub = (path: string, re: string, s: string) => compileRe2Regex(re).replaceAll(path, s)
    expect(sub('/a/b/c', '/', '_')).toBe('_a_b_c')
    expect(sub('banana', 'ana', 'X')).toBe('bXna')
    // RE2 gives -a-c- here; JS String.replace would give -a--c-.
    expect(sub('abc', 'b*', '-')).toBe('-a-c-')
    expect(sub('abc', 'x*', '-')).toBe('-a-b-c-')
  })

  it('a rewrite naming a group the pattern lacks leaves the path unchanged, as RE2 does', () => {
    expect(compileRe2Regex('/(a)').replaceAll('/a', '\\2')).toBe('/a')
  })
})

describe('per_request_buffer_limit_bytes', () => {
  // https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-route-per-request-buffer-limit-bytes
  it("is the route's, else its virtual host's", () => {
    const snap = compileJson(
      bootstrap({
        virtual_hosts: [{ name: 'v', domains: ['*'], per_request_buffer_limit_bytes: 2048, routes: [
          { match: { prefix: '/own' }, route: { cluster: 'a' }, per_request_buffer_limit_bytes: 64 },
          { match: { prefix: '/' }, route: { cluster: 'a' } },
        ] }],
        clusters: { a: [ups.a!] },
      }),
    )
    const [own, inherited] = snap.listeners[0]!.routeTable.virtualHosts[0]!.routes
    expect(own!.action.type === 'route' && own!.action.bufferLimitBytes).toBe(64)
    expect(inherited!.action.type === 'route' && inherited!.action.bufferLimitBytes).toBe(2048)
  })
})
