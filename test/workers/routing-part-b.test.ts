/**
 * Routing semantics of issue 16, part B, through the real router app inside
 * workerd, forwarding to the echo upstreams on 127.0.0.1:
 * - most_specific_header_mutations_wins (source/common/router/config_impl.cc
 *   getHeaderParsers; test/common/router/config_impl_test.cc
 *   TestAddRemoveResponseHeadersAppendMostSpecificWins,
 *   TestAddGlobalResponseHeaderRemoveFromRoute),
 * - ignore_path_parameters_in_path_matching (config_impl.cc
 *   RouteEntryImplBase::sanitizePathBeforePathMatching),
 * - RouteMatch.cookies (Envoy PR #42662),
 * - query parameters matched on their raw value (config_impl.cc matchRoute:
 *   QueryParamsMulti::parseQueryString, which does not decode),
 * - upgrade_configs and the 403 for other upgrades (conn_manager_impl.cc,
 *   downstream_rq_ws_on_non_ws_route).
 */
import { describe, expect, inject, it } from 'vitest'
import type { Snapshot } from '../../src/compile/types'
import { StatsStore } from '../../src/observability/stats'
import { buildListenerApp } from '../../src/router/app'
import { ClusterManager } from '../../src/upstream/cluster-manager'
import { testApp, type Echo } from '../support/app'
import { anyHost, bootstrap, compileJson } from '../support/config'

const ups = inject('upstreams')
const json = async (r: Response) => {
  expect(r.status, await r.clone().text()).toBe(200)
  return (await r.json()) as Echo
}
const add = (key: string, value: string, append_action = 'OVERWRITE_IF_EXISTS_OR_ADD') => ({ header: { key, value }, append_action })

describe('most_specific_header_mutations_wins', () => {
  // Each level overwrites x-level, appends to x-trail, and removes what the level below it added.
  const levels = (mostSpecificWins: boolean | undefined) =>
    compileJson(
      bootstrap({
        virtual_hosts: [
          {
            name: 'vh',
            domains: ['*'],
            request_headers_to_add: [add('x-level', 'vhost'), add('x-trail', 'vhost', 'APPEND_IF_EXISTS_OR_ADD'), add('x-vhost-only', 'v')],
            request_headers_to_remove: ['x-route-only'],
            response_headers_to_add: [add('x-level', 'vhost')],
            routes: [
              {
                match: { prefix: '/' },
                route: { cluster: 'a' },
                request_headers_to_add: [add('x-level', 'route'), add('x-trail', 'route', 'APPEND_IF_EXISTS_OR_ADD'), add('x-route-only', 'r')],
                request_headers_to_remove: ['x-global-only'],
                response_headers_to_add: [add('x-level', 'route')],
              },
            ],
          },
        ],
        route_config: {
          ...(mostSpecificWins === undefined ? {} : { most_specific_header_mutations_wins: mostSpecificWins }),
          request_headers_to_add: [add('x-level', 'global'), add('x-trail', 'global', 'APPEND_IF_EXISTS_OR_ADD'), add('x-global-only', 'g')],
          request_headers_to_remove: ['x-vhost-only'],
          response_headers_to_add: [add('x-level', 'global')],
        },
        clusters: { a: [ups.a!] },
      }),
    )

  it('by default (false): route, then virtual host, then route configuration — the outer level wins, and removes what an inner one added', async () => {
    for (const setting of [undefined, false]) {
      const { request } = testApp(levels(setting))
      const res = await request('http://example.com/x')
      expect(res.headers.get('x-level')).toBe('global')
      const echo = await json(res)
      expect(echo.headers['x-level']).toBe('global')
      expect(echo.headers['x-trail']).toBe('route, vhost, global')
      // The vhost removed the route's header; the global level removed the vhost's; the route's removal came before the global add.
      expect(echo.headers['x-route-only']).toBeUndefined()
      expect(echo.headers['x-vhost-only']).toBeUndefined()
      expect(echo.headers['x-global-only']).toBe('g')
    }
  })

  it('true: route configuration, then virtual host, then route — the route wins, and its removals come last', async () => {
    const { request } = testApp(levels(true))
    const res = await request('http://example.com/x')
    expect(res.headers.get('x-level')).toBe('route')
    const echo = await json(res)
    expect(echo.headers['x-level']).toBe('route')
    expect(echo.headers['x-trail']).toBe('global, vhost, route')
    expect(echo.headers['x-global-only']).toBeUndefined()
    expect(echo.headers['x-route-only']).toBe('r')
    // The global level's removal ran before the vhost added it.
    expect(echo.headers['x-vhost-only']).toBe('v')
  })

  it('a weighted cluster\'s own mutations come first either way (WeightedClusterEntry::finalizeRequestHeaders)', async () => {
    for (const wins of [false, true]) {
      const snap = compileJson(
        bootstrap({
          virtual_hosts: anyHost([
            {
              match: { prefix: '/' },
              route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1, request_headers_to_add: [add('x-level', 'weighted')] }] } },
              request_headers_to_add: [add('x-level', 'route')],
            },
          ]),
          route_config: { most_specific_header_mutations_wins: wins },
          clusters: { a: [ups.a!] },
        }),
      )
      const echo = await json(await testApp(snap).request('http://example.com/'))
      expect(echo.headers['x-level']).toBe('route')
    }
  })

  it("Envoy's TestAddGlobalResponseHeaderRemoveFromRoute: with true, a route removes a header the route configuration adds", async () => {
    const snap = compileJson(
      bootstrap({
        virtual_hosts: anyHost([
          { match: { prefix: '/cacheable' }, route: { cluster: 'a' }, response_headers_to_remove: ['cache-control'] },
          { match: { prefix: '/' }, route: { cluster: 'a' } },
        ]),
        route_config: { most_specific_header_mutations_wins: true, response_headers_to_add: [{ header: { key: 'cache-control', value: 'private' } }] },
        clusters: { a: [ups.a!] },
      }),
    )
    const { request } = testApp(snap)
    expect((await request('http://www.lyft.com/cacheable')).headers.get('cache-control')).toBeNull()
    expect((await request('http://www.lyft.com/foo')).headers.get('cache-control')).toBe('private')
  })

  it('applies to direct responses too', async () => {
    const snap = (wins: boolean) =>
      compileJson(
        bootstrap({
          virtual_hosts: anyHost([{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'hi' } }, response_headers_to_add: [add('x-level', 'route')] }], {
            response_headers_to_add: [add('x-level', 'vhost')],
          }),
          route_config: { most_specific_header_mutations_wins: wins },
        }),
      )
    expect((await testApp(snap(false)).request('http://example.com/')).headers.get('x-level')).toBe('vhost')
    expect((await testApp(snap(true)).request('http://example.com/')).headers.get('x-level')).toBe('route')
  })
})

describe('ignore_path_parameters_in_path_matching', () => {
  // More routes than the index threshold, so the Hono index narrows too.
  const filler = Array.from({ length: 12 }, (_, i) => ({ match: { prefix: `/filler${i}/` }, direct_response: { status: 204 } }))
  const routes = [
    ...filler,
    { name: 'exact', match: { path: '/users' }, route: { cluster: 'a' } },
    { name: 'sep', match: { path_separated_prefix: '/shop' }, route: { cluster: 'a' } },
    { name: 'regex', match: { safe_regex: { regex: '/items/[0-9]+' } }, route: { cluster: 'a' } },
    { name: 'prefix', match: { prefix: '/api/' }, route: { cluster: 'a', prefix_rewrite: '/v2/' } },
  ]
  const snap = (ignore: boolean | undefined) =>
    compileJson(bootstrap({ virtual_hosts: anyHost(routes), route_config: ignore === undefined ? {} : { ignore_path_parameters_in_path_matching: ignore }, clusters: { a: [ups.a!] } }))
  const on = testApp(snap(true))
  const off = testApp(snap(undefined))

  it('true: the path is matched up to its first ";" and forwarded unchanged', async () => {
    const exact = await json(await on.request('http://example.com/users;jsessionid=abc?x=1'))
    expect(exact.url).toBe('/users;jsessionid=abc?x=1')
    expect((await on.request('http://example.com/shop;v=2')).status).toBe(200)
    expect((await on.request('http://example.com/items/42;color=red')).status).toBe(200)
    // Everything after the first ";" is dropped for matching (Envoy cuts the whole rest), so /api;v=1/x is matched as /api.
    expect((await on.request('http://example.com/api;v=1/x')).status).toBe(404)
    // A prefix match keeps the parameters of the rest of the path, and the rewrite swaps the matched prefix.
    expect((await json(await on.request('http://example.com/api/x;v=1'))).url).toBe('/v2/x;v=1')
  })

  it('false (the default): ";params" are part of the path, as Envoy matches it', async () => {
    expect((await off.request('http://example.com/users;jsessionid=abc')).status).toBe(404)
    expect((await off.request('http://example.com/shop;v=2')).status).toBe(404)
    expect((await off.request('http://example.com/items/42;color=red')).status).toBe(404)
    expect((await off.request('http://example.com/users')).status).toBe(200)
  })
})

describe('RouteMatch.cookies', () => {
  const snap = compileJson(
    bootstrap({
      virtual_hosts: anyHost([
        { name: 'beta', match: { prefix: '/', cookies: [{ name: 'track', string_match: { exact: 'beta' } }] }, direct_response: { status: 200, body: { inline_string: 'beta' } } },
        { name: 'not-admin', match: { prefix: '/', cookies: [{ name: 'role', string_match: { prefix: 'admin' }, invert_match: true }] }, direct_response: { status: 200, body: { inline_string: 'not-admin' } } },
        { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'default' } } },
      ]),
    }),
  )
  const { request } = testApp(snap)
  const body = async (cookie?: string) => (await request('http://example.com/', cookie === undefined ? {} : { headers: { cookie } })).text()

  it('matches the named cookie\'s value, not the whole Cookie header', async () => {
    expect(await body('a=1; track=beta; b=2')).toBe('beta')
    expect(await body('track="beta"')).toBe('beta')
    // A value that merely contains the name=value text is not the cookie.
    expect(await body('xtrack=beta')).toBe('default')
    expect(await body('track=betamax')).toBe('default')
    // The first cookie of that name counts.
    expect(await body('track=alpha; track=beta')).toBe('default')
  })
  it('invert_match inverts a present cookie; an absent cookie never matches', async () => {
    expect(await body('role=user')).toBe('not-admin')
    expect(await body('role=administrator')).toBe('default')
    expect(await body()).toBe('default')
  })
})

describe('query parameters are matched on their raw value', () => {
  const snap = compileJson(
    bootstrap({
      virtual_hosts: anyHost([
        { match: { prefix: '/', query_parameters: [{ name: 'q', string_match: { exact: 'a%20b' } }] }, direct_response: { status: 200, body: { inline_string: 'raw' } } },
        { match: { prefix: '/', query_parameters: [{ name: 'q', string_match: { exact: 'a b' } }] }, direct_response: { status: 200, body: { inline_string: 'decoded' } } },
        { match: { prefix: '/', query_parameters: [{ name: 'p', string_match: { exact: '1+1' } }] }, direct_response: { status: 200, body: { inline_string: 'plus' } } },
        { match: { prefix: '/', query_parameters: [{ name: 'k%41', present_match: true }] }, direct_response: { status: 200, body: { inline_string: 'raw-name' } } },
        { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'none' } } },
      ]),
    }),
  )
  const { request } = testApp(snap)
  const body = async (q: string) => (await request(`http://example.com/s?${q}`)).text()

  it('neither percent-decodes nor turns "+" into a space', async () => {
    expect(await body('q=a%20b')).toBe('raw')
    expect(await body('q=a+b')).toBe('none')
    expect(await body('p=1+1')).toBe('plus')
    expect(await body('p=1%2B1')).toBe('none')
    expect(await body('k%41=')).toBe('raw-name')
    expect(await body('kA=1')).toBe('none')
  })
})

describe('upgrade_configs', () => {
  function app(snapshot: Snapshot) {
    const stats = new StatsStore({ isolateId: 'test' })
    const a = buildListenerApp(snapshot, snapshot.listeners[0]!, {
      fetch: (input, init) => fetch(input, init),
      bindings: {},
      clusters: new ClusterManager({ random: Math.random, now: Date.now }),
      random: Math.random,
      now: Date.now,
      stats,
    })
    const ws = (path: string) => a.fetch(new Request(`http://example.com${path}`, { headers: { upgrade: 'websocket', connection: 'Upgrade' } }))
    const send = (path: string, init?: RequestInit) => a.fetch(new Request(`http://example.com${path}`, init))
    return { stats, ws, send, plain: (path: string) => send(path) }
  }
  const config = (hcmUpgrades: unknown[] | undefined) =>
    compileJson(
      bootstrap({
        virtual_hosts: anyHost([
          { match: { prefix: '/off/' }, route: { cluster: 'a', prefix_rewrite: '/', upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] } },
          { match: { prefix: '/on/' }, route: { cluster: 'a', prefix_rewrite: '/', upgrade_configs: [{ upgrade_type: 'WebSocket' }] } },
          { match: { prefix: '/direct' }, direct_response: { status: 200 } },
          { match: { prefix: '/' }, route: { cluster: 'a' } },
        ]),
        hcm: hcmUpgrades ? { upgrade_configs: hcmUpgrades } : {},
        clusters: { a: [ups.a!] },
      }),
    )

  async function echoOver(res: Response): Promise<string> {
    expect(res.status).toBe(101)
    const socket = res.webSocket!
    socket.accept()
    const message = new Promise<string>((resolve) => socket.addEventListener('message', (e) => resolve(String(e.data))))
    socket.send('ping through edgevoy')
    const got = await message
    socket.close(1000, 'done')
    return got
  }

  it('without upgrade_configs a WebSocket upgrade is answered 403 and counted as downstream_rq_ws_on_non_ws_route; plain requests pass', async () => {
    const { ws, plain, stats } = app(config(undefined))
    const res = await ws('/ws')
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('')
    expect(stats.counters.get('http.ingress.downstream_rq_ws_on_non_ws_route')).toBe(1)
    expect((await plain('/ws')).status).toBe(200)
    // No route, a direct response: the connection manager alone decides (403 before the 404).
    expect((await ws('/direct')).status).toBe(403)
  })

  it('the connection manager\'s websocket entry forwards the upgrade to a real WebSocket upstream; a route can switch it off', async () => {
    const { ws, stats } = app(config([{ upgrade_type: 'websocket' }]))
    expect(await echoOver(await ws('/ws'))).toBe('ping through edgevoy')
    expect((await ws('/off/ws')).status).toBe(403)
    expect(stats.counters.get('http.ingress.downstream_rq_ws_on_non_ws_route')).toBe(1)
  })

  it('a route\'s entry enables the upgrade where the connection manager has none (case-insensitive types); enabled: false at the connection manager refuses', async () => {
    const { ws } = app(config(undefined))
    expect(await echoOver(await ws('/on/ws'))).toBe('ping through edgevoy')
    const off = app(config([{ upgrade_type: 'websocket', enabled: false }]))
    expect((await off.ws('/ws')).status).toBe(403)
    expect(await echoOver(await off.ws('/on/ws'))).toBe('ping through edgevoy')
  })

  it('an upgrade type nobody enabled is refused; Upgrade without "upgrade" in Connection is not an upgrade (Http::Utility::isUpgrade)', async () => {
    const { send } = app(config([{ upgrade_type: 'websocket' }]))
    expect((await send('/x', { headers: { upgrade: 'h2c', connection: 'Upgrade, HTTP2-Settings' } })).status).toBe(403)
    const notUpgrade = await send('/x', { headers: { upgrade: 'h2c', connection: 'keep-alive' } })
    expect(notUpgrade.status).toBe(200)
    expect(((await notUpgrade.json()) as Echo).headers.upgrade).toBeUndefined()
  })
})
