/**
 * The serialized snapshot is the contract between the control plane and the
 * data plane: a snapshot loaded from its serialized form must decide exactly
 * what the compiled one decides — virtual host, route, action (target,
 * rewritten path, redirect location, policies) and header mutations — for
 * random configs and requests. A snapshot from another compiler is refused.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { COMPILER_VERSION, serializeSnapshot } from '../../src/compile/serialize'
import type { HeaderValueContext, Route, Snapshot } from '../../src/compile/types'
import { isProxyError } from '../../src/errors'
import { cacheKey } from '../../src/filters/cache/store'
import { decideRoute, matchRequestOf } from '../../src/router/decide'
import { applyHeaderLevels, headerLevels } from '../../src/router/headers'
import { pickWeighted } from '../../src/router/pick-cluster'
import { upgradeAllowed } from '../../src/router/upgrade'
import { computeHash } from '../../src/upstream/lb/index'
import { redirectLocation, rewritePath, routeHostRewrite } from '../../src/router/rewrite'
import { requestHeaderValue } from '../../src/upstream/headers'
import { buildRouteIndex, type RouteIndex } from '../../src/router/route-index'
import { loadSnapshot } from '../../src/snapshot/load'
import { bootstrap, compileJson } from '../support/config'
import { lowerConfig } from '../../src/compile/index'
import { encodeSnapshot } from '../../src/compile/serialize'
import { ROUTE_PATH_KINDS, type RouteColumnsIR, type RouteIR, type RoutePoolsIR } from '../../src/compile/ir'
import { validateConfig } from '../../src/config/load'
import { routePattern } from '../../src/snapshot/matchers'
import { matchArb, pathArb, requestArb } from '../support/route-arbs'

const headerValue = fc.constantFrom('v1', '', '%REQ(x-a)%', 'ip=%DOWNSTREAM_REMOTE_ADDRESS%', '100%%', 'at %START_TIME%', '%UPSTREAM_REMOTE_ADDRESS%', '%HOSTNAME%-%PROTOCOL%')
const headerToAdd = fc.record(
  {
    header: fc.record({ key: fc.constantFrom('x-m1', 'x-m2', 'x-a', 'X-Up'), value: headerValue }),
    append_action: fc.constantFrom('APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'),
    keep_empty_value: fc.boolean(),
  },
  { requiredKeys: ['header'] },
)
const mutations = fc.record(
  {
    request_headers_to_add: fc.array(headerToAdd, { maxLength: 3 }),
    request_headers_to_remove: fc.array(fc.constantFrom('x-a', 'x-b', 'x-m1'), { maxLength: 2 }),
    response_headers_to_add: fc.array(headerToAdd, { maxLength: 3 }),
    response_headers_to_remove: fc.array(fc.constantFrom('x-m2', 'server'), { maxLength: 1 }),
  },
  { requiredKeys: [] },
)

const regexRewrite = fc.constantFrom(
  { pattern: { regex: '^/(a|api)(/.*)?$' }, substitution: '/x\\2' },
  { pattern: { regex: '/v[0-9]+' }, substitution: '/v' },
  { pattern: { regex: '[0-9]' }, substitution: '\\0\\0$' },
)
const retryPolicy = fc.record(
  {
    retry_on: fc.constantFrom('5xx', 'gateway-error,reset', 'retriable-status-codes', 'connect-failure'),
    num_retries: fc.integer({ min: 0, max: 4 }),
    per_try_timeout: fc.constantFrom('0.5s', '2s'),
    retriable_status_codes: fc.array(fc.constantFrom(409, 503), { maxLength: 2 }),
    retry_back_off: fc.constant({ base_interval: '0.01s' }),
    retry_host_predicate: fc.constant([{ name: 'envoy.retry_host_predicates.previous_hosts' }]),
  },
  { requiredKeys: ['retry_on'] },
)
const hashPolicy = fc.oneof(
  fc.record({ header: fc.record({ header_name: fc.constantFrom('x-a', 'x-user') }), terminal: fc.boolean() }),
  fc.record({ cookie: fc.record({ name: fc.constant('sid'), ttl: fc.constantFrom('10s', '0s'), path: fc.constant('/') }, { requiredKeys: ['name'] }) }),
  fc.record({ query_parameter: fc.record({ name: fc.constant('q') }) }),
  fc.constant({ connection_properties: { source_ip: true } }),
)
const forward = fc.record(
  {
    target: fc.oneof(
      fc.constantFrom({ cluster: 'a' }, { cluster: 'b' }, { cluster_header: 'X-Cluster' }, { cluster_header: ':authority' }),
      fc.constant({ weighted_clusters: { clusters: [{ name: 'a', weight: 30, request_headers_to_add: [{ header: { key: 'x-w', value: 'a' } }], host_rewrite_literal: 'w.a' }, { name: 'b', weight: 70 }] } }),
      // header_name reads the pick's value from x-a (1 or 2 in requests); an entry may name its cluster by header.
      fc.constant({ weighted_clusters: { header_name: 'X-A', clusters: [{ name: 'a', weight: 1 }, { cluster_header: 'x-b', weight: 1 }, { cluster_header: ':path', weight: 2 }] } }),
      fc.constant({ weighted_clusters: { use_hash_policy: true, clusters: [{ name: 'a', weight: 2 }, { name: 'b', weight: 3 }] } }),
    ),
    rewrite: fc.oneof(fc.constant({}), fc.constantFrom('/', '/new', '/x/').map((p) => ({ prefix_rewrite: p })), regexRewrite.map((r) => ({ regex_rewrite: r }))),
    host: fc.oneof(
      fc.constantFrom('up.example', 'other').map((h) => ({ host_rewrite_literal: h })),
      fc.constantFrom('X-A', 'x-b', ':path').map((h) => ({ host_rewrite_header: h })),
      regexRewrite.map((r) => ({ host_rewrite_path_regex: r })),
    ),
    timeout: fc.constantFrom('0s', '3s', '0.25s'),
    retry_policy: retryPolicy,
    hash_policy: fc.array(hashPolicy, { minLength: 1, maxLength: 3 }),
    cluster_not_found_response_code: fc.constantFrom('SERVICE_UNAVAILABLE', 'NOT_FOUND', 'INTERNAL_SERVER_ERROR'),
    upgrade_configs: fc.constantFrom([{ upgrade_type: 'websocket' }], [{ upgrade_type: 'WebSocket', enabled: false }], [{ upgrade_type: 'h2c' }, { upgrade_type: 'websocket', enabled: true }]),
  },
  { requiredKeys: ['target', 'rewrite'] },
).map(({ target, rewrite, host, ...rest }) => ({ route: { ...target, ...rewrite, ...host, ...rest } }))
const redirect = fc
  .record(
    {
      https_redirect: fc.boolean(),
      host_redirect: fc.constantFrom('moved.example', 'h:9000'),
      port_redirect: fc.constantFrom(8443, 80),
      path: fc.oneof(pathArb.map((p) => ({ path_redirect: p })), fc.constantFrom('/p?x=1', 'rel', 'rel/x?y=2', '').map((p) => ({ path_redirect: p })), fc.constantFrom('/', '/r').map((p) => ({ prefix_rewrite: p })), regexRewrite.map((r) => ({ regex_rewrite: r }))),
      response_code: fc.constantFrom('MOVED_PERMANENTLY', 'FOUND', 'SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'),
      strip_query: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  .map(({ path, ...rest }) => ({ redirect: { ...rest, ...(path ?? {}) } }))
const direct = fc.record({ status: fc.constantFrom(200, 204, 404, 503), body: fc.option(fc.record({ inline_string: fc.constantFrom('hi', '') }), { nil: undefined }) }).map((d) => ({ direct_response: d.body ? d : { status: d.status } }))

// RBAC's unified matcher over header / :path / source IP inputs (src/snapshot/rbac.ts).
const T = 'type.googleapis.com/'
const rbacAction = (a: string) => ({ action: { name: 'a', typed_config: { '@type': `${T}envoy.config.rbac.v3.Action`, name: a.toLowerCase(), action: a } } })
const inputArb = fc.constantFrom(
  { name: 'h', typed_config: { '@type': `${T}envoy.type.matcher.v3.HttpRequestHeaderMatchInput`, header_name: 'x-a' } },
  { name: 'p', typed_config: { '@type': `${T}envoy.type.matcher.v3.HttpRequestHeaderMatchInput`, header_name: ':path' } },
)
const predicateArb = fc.oneof(
  fc.record({ input: inputArb, value_match: fc.constantFrom({ exact: '1' }, { prefix: '/a' }, { safe_regex: { regex: '/v[0-9]+.*' } }) }).map((single_predicate) => ({ single_predicate })),
  fc.constant({ single_predicate: { input: { name: 'ip', typed_config: { '@type': `${T}envoy.extensions.matching.common_inputs.network.v3.SourceIPInput` } }, custom_match: { name: 'ip', typed_config: { '@type': `${T}envoy.extensions.matching.input_matchers.ip.v3.Ip`, cidr_ranges: [{ address_prefix: '192.0.2.0', prefix_len: 24 }], stat_prefix: 's' } } } }),
)
const onMatchArb = fc.constantFrom('ALLOW', 'DENY', 'LOG').map(rbacAction)
const unifiedMatcherArb = fc.oneof(
  fc.record({ matchers: fc.array(fc.record({ predicate: fc.oneof(predicateArb, predicateArb.map((p) => ({ not_matcher: p }))), on_match: onMatchArb }), { minLength: 1, maxLength: 3 }), onNoMatch: fc.option(onMatchArb, { nil: undefined }) })
    .map(({ matchers, onNoMatch }) => ({ matcher_list: { matchers }, ...(onNoMatch ? { on_no_match: onNoMatch } : {}) })),
  fc.record({ input: inputArb, kind: fc.constantFrom('exact_match_map', 'prefix_match_map'), onNoMatch: fc.option(onMatchArb, { nil: undefined }) })
    .map(({ input, kind, onNoMatch }) => ({ matcher_tree: { input, [kind]: { map: { '1': rbacAction('ALLOW'), '/a': rbacAction('DENY'), '/ab': rbacAction('ALLOW') } } }, ...(onNoMatch ? { on_no_match: onNoMatch } : {}) })),
)
const rbacFilterArb = fc.option(unifiedMatcherArb.map((matcher) => ({ name: 'envoy.filters.http.rbac', typed_config: { '@type': `${T}envoy.extensions.filters.http.rbac.v3.RBAC`, matcher } })), { nil: undefined })

// The cache filter's key and Vary settings (src/snapshot/filters.ts linkCacheFilter).
const cacheFilterArb = fc.option(
  fc
    .record({
      allowed_vary_headers: fc.constantFrom([], [{ exact: 'accept-language' }], [{ safe_regex: { regex: 'x-.*' } }, { prefix: 'cook', ignore_case: true }]),
      key_creator_params: fc.record(
        { exclude_scheme: fc.boolean(), exclude_host: fc.boolean(), query_parameters_included: fc.constantFrom([], [{ name: 'a' }]), query_parameters_excluded: fc.constantFrom([], [{ name: 'b', string_match: { exact: '1' } }]) },
        { requiredKeys: [] },
      ),
      max_body_bytes: fc.option(fc.nat(100_000), { nil: undefined }),
      ignore_request_cache_control_header: fc.boolean(),
    }, { requiredKeys: [] })
    .map((c) => ({ name: 'envoy.filters.http.cache', typed_config: { '@type': `${T}envoy.extensions.filters.http.cache.v3.CacheConfig`, typed_config: { '@type': `${T}envoy.extensions.http.cache.simple_http_cache.v3.SimpleHttpCacheConfig` }, ...c } })),
  { nil: undefined },
)

const routeArb = fc.tuple(matchArb, fc.oneof(forward, forward, redirect, direct), mutations, fc.option(fc.constantFrom(64, 4096), { nil: undefined }))
const VHOSTS = [
  { name: 'exact', domains: ['h', 'h:8080'] },
  { name: 'suffix', domains: ['*.h'] },
  { name: 'prefix', domains: ['h.*'] },
  { name: 'default', domains: ['*'] },
]
const vhostArb = fc.tuple(fc.constantFrom(...VHOSTS), fc.array(routeArb, { minLength: 1, maxLength: 12 }), mutations, fc.option(retryPolicy, { nil: undefined }), fc.option(fc.oneof(forward, redirect, direct), { nil: undefined }))
const configArb = fc
  .record({
    vhosts: fc.uniqueArray(vhostArb, { minLength: 1, maxLength: 4, selector: ([v]) => v.name }),
    table: mutations,
    tableFlags: fc.record({ most_specific_header_mutations_wins: fc.boolean(), ignore_path_parameters_in_path_matching: fc.boolean() }, { requiredKeys: [] }),
    hcm: fc.constantFrom({}, { strip_any_host_port: true }, { strip_matching_host_port: true }, { upgrade_configs: [{ upgrade_type: 'websocket' }] }, { upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }, { upgrade_type: 'h2c' }] }),
    rbac: rbacFilterArb,
    cache: cacheFilterArb,
  })
  .map(({ vhosts, table, tableFlags, hcm, rbac, cache }) =>
    bootstrap({
      clusters: { a: [8001], b: [8002, 8003] },
      hcm,
      ...(rbac || cache ? { http_filters: [...(cache ? [cache] : []), ...(rbac ? [rbac] : []), { name: 'envoy.filters.http.router' }] } : {}),
      route_config: { ...table, ...tableFlags },
      virtual_hosts: vhosts.map(([vh, routes, m, retry, fallback]) => ({
        ...vh,
        ...m,
        ...(retry ? { retry_policy: retry } : {}),
        routes: [
          // Every third route unnamed (`#i`: the serialized form leaves such names out).
          ...routes.map(([match, action, rm, limit], i) => ({ ...(i % 3 === 1 ? {} : { name: `r${i}` }), match, ...action, ...rm, ...(limit ? { per_request_buffer_limit_bytes: limit } : {}) })),
          // Often a catch-all last, so that many requests are routed.
          ...(fallback ? [{ name: 'fallback', match: { prefix: '/' }, ...fallback }] : []),
        ],
      })),
    }),
  )
const fullRequestArb = fc.record({ r: requestArb, authority: fc.constantFrom('h', 'h:8080', 'a.h', 'h.io', 'x', 'b.a.h:8080', 'h'), scheme: fc.constantFrom('http', 'https') })

/** Everything the data plane decides for one request, as plain data. */
function decide(snapshot: Snapshot, indexes: Map<string, RouteIndex>, request: Request) {
  const table = snapshot.listeners[0]!.routeTable
  // A fixed random value: runtime_fraction routes (route-arbs) decide the same way every time.
  const d = decideRoute(table, indexes, request, () => 0.25)
  const ctx: HeaderValueContext = { request, clientIp: '192.0.2.1', upstreamHost: '10.0.0.9:80', protocol: 'HTTP/2', startTime: 1_700_000_000_000 }
  const apply = (levels: Parameters<typeof applyHeaderLevels>[1]) => {
    const h = new Headers({ 'x-a': 'in', 'x-m2': 'old', server: 's' })
    applyHeaderLevels(h, levels, ctx)
    return [...h.entries()]
  }
  const route: Route | undefined = d.route
  const vh = d.virtualHost
  const listener = snapshot.listeners[0]!
  const rbacFilter = listener.httpFilters.find((f) => f.kind === 'rbac')
  const rbac = rbacFilter?.kind === 'rbac' ? rbacFilter.config.matcher?.({ match: d.match, clientIp: request.headers.get('cf-connecting-ip') ?? undefined, port: listener.port, metadata: () => undefined }) : undefined
  const upgrades = ['websocket', 'h2c', 'spdy/3'].map((t) => upgradeAllowed(t, listener, route))
  const cacheFilter = listener.httpFilters.find((f) => f.kind === 'cache')
  const cache = cacheFilter?.kind === 'cache' ? { ...cacheFilter.config, varyAllowed: ['accept-language', 'x-a', 'Cookie'].map(cacheFilter.config.varyAllowed), queryIncluded: undefined, queryExcluded: undefined, key: cacheKey(new URL(request.url), cacheFilter.config) } : undefined
  if (!route || !vh) return { vhost: vh?.name, route: undefined, rbac, upgrades, cache }
  const a = route.action
  const action =
    a.type === 'route'
      ? {
          target: a.target.kind === 'weighted' ? { ...a.target, clusters: a.target.clusters.map((c) => ({ ...c, requestHeaders: apply([c.requestHeaders]), responseHeaders: apply([c.responseHeaders]) })) } : a.target,
          picked: a.target.kind === 'weighted' ? ((w) => w.clusterHeader ?? w.name)(pickWeighted(a.target, request, () => 0.37, computeHash(a.hashPolicy, request, () => 0.37).hash)) : undefined,
          path: rewritePath(route, a.pathRewrite, d.match.path),
          host: routeHostRewrite(a, (name) => requestHeaderValue(request, name), d.match.path),
          timeoutMs: a.timeoutMs,
          retry: a.retryPolicy && { ...a.retryPolicy, retryOn: [...a.retryPolicy.retryOn].sort(), retriableStatusCodes: [...a.retryPolicy.retriableStatusCodes].sort() },
          hashPolicy: a.hashPolicy,
          bufferLimitBytes: a.bufferLimitBytes,
          clusterNotFoundStatus: a.clusterNotFoundStatus,
        }
      : a.type === 'redirect'
        ? { location: redirectLocation(route, a, d.match), code: a.responseCode }
        : { status: a.status, body: a.body }
  return {
    vhost: vh.name,
    route: route.name,
    index: route.index,
    type: a.type,
    action,
    request: apply(headerLevels(undefined, route.requestHeaders, vh.requestHeaders, table.requestHeaders, table.mostSpecificHeaderMutationsWins)),
    response: apply(headerLevels(undefined, route.responseHeaders, vh.responseHeaders, table.responseHeaders, table.mostSpecificHeaderMutationsWins)),
    rbac,
    upgrades,
    cache,
  }
}

const indexesOf = (s: Snapshot) => new Map(s.listeners[0]!.routeTable.virtualHosts.map((vh) => [vh.name, buildRouteIndex(vh, { threshold: 0 })]))

describe('loadSnapshot(serializeSnapshot(compile(c))) ≡ compile(c)', () => {
  it('decides the same virtual host, route, action and header mutations for random configs and requests', { timeout: 180_000 }, () => {
    let decisions = 0
    let routed = 0
    fc.assert(
      fc.property(configArb, fc.array(fullRequestArb, { minLength: 1, maxLength: 15 }), (config, requests) => {
        const compiled = compileJson(config)
        const text = serializeSnapshot(compiled)
        const loaded = loadSnapshot(text)
        // A loaded snapshot serializes to the text it came from.
        expect(serializeSnapshot(loaded)).toBe(text)
        const [ci, li] = [indexesOf(compiled), indexesOf(loaded)]
        for (const { r, authority, scheme } of requests) {
          const headers: Record<string, string> = { host: authority, 'x-forwarded-proto': scheme }
          if (r.xa) headers['x-a'] = r.xa
          if (r.xb) headers['x-b'] = r.xb
          if (r.cookie) headers.cookie = r.cookie
          headers['cf-connecting-ip'] = r.xa === '1' ? '192.0.2.7' : '198.51.100.7'
          const make = () => new Request(`http://${authority}${r.path}${r.query}`, { method: r.method, headers })
          const want = decide(compiled, ci, make())
          expect(decide(loaded, li, make())).toEqual(want)
          decisions++
          if (want.route) routed++
        }
      }),
      { numRuns: 300 },
    )
    // Both outcomes must be exercised, or the property proves little.
    expect(decisions).toBeGreaterThan(1000)
    expect(routed / decisions).toBeGreaterThan(0.25)
    expect(routed / decisions).toBeLessThan(0.95)
  })

  it('the columns and pools of the serialized form hold every route of the IR, field for field', { timeout: 120_000 }, () => {
    /** RouteColumnsIR → the routes they were written from (what the linker reads, spelled out as IR). */
    const decode = (cols: RouteColumnsIR, pools: RoutePoolsIR): RouteIR[] =>
      cols.path.map((value, i) => {
        const f = cols.flags[i]!
        const kind = ROUTE_PATH_KINDS[f & 3]!
        const fold = (f & 8) !== 0
        const pat = cols.pattern?.[i] ?? 0
        const honoPattern = pat === 0 ? routePattern(kind, value, fold) : (pat ?? undefined)
        const rx = cols.regex?.[i] ?? 0
        const m = cols.match?.[i] ?? 0
        const x = cols.extras?.[i] ?? 0
        const own = cols.name?.[i] ?? 0
        const path = { kind, value, ...(f & 4 ? { caseSensitive: false as const } : {}), ...(rx ? { regex: pools.regexes![rx - 1]! } : {}), ...(honoPattern !== undefined ? { honoPattern } : {}), ...(fold ? { honoFoldCase: true as const } : {}) }
        return { name: own === 0 ? `#${i}` : own, match: { path, ...(m ? pools.matches![m - 1]! : {}) }, action: pools.actions[cols.action[i]!]!, ...(x ? pools.extras![x - 1]! : {}) }
      })
    fc.assert(
      fc.property(configArb, (config) => {
        const r = validateConfig(config)
        if (!r.ok) throw new Error('invalid config')
        const ir = lowerConfig(r.config)
        const enc = JSON.parse(JSON.stringify(encodeSnapshot(ir))) as ReturnType<typeof encodeSnapshot>
        ir.listeners.forEach((l, li) =>
          l.routeTable.virtualHosts.forEach((vh, vi) => expect(decode(enc.snapshot.listeners[li]!.routeTable.virtualHosts[vi]!.routes, enc)).toEqual(vh.routes)),
        )
      }),
      { numRuns: 150 },
    )
  })

  it('is compact JSON carrying the format, the compiler version and the source hash', () => {
    const compiled = compileJson(bootstrap({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'a' } }] }], clusters: { a: [8001] } }))
    const text = serializeSnapshot(compiled)
    expect(text).not.toContain('\n')
    const doc = JSON.parse(text) as { format: string; compilerVersion: string; sourceHash: string; snapshot: { hash: string } }
    expect(doc.format).toBe('edgevoy.snapshot')
    expect(doc.compilerVersion).toBe(COMPILER_VERSION)
    expect(doc.sourceHash).toBe(compiled.hash)
    const loaded = loadSnapshot(text)
    expect(loaded.hash).toBe(compiled.hash)
    expect(loaded.version).toBe(compiled.version)
    expect([...loaded.clusters.keys()]).toEqual(['a'])
    expect(Object.isFrozen(loaded.listeners[0]!.routeTable)).toBe(true)
  })

  it('writes identical route actions once; the loaded routes share one frozen action, deeply frozen', () => {
    const routes = ['/a', '/b', '/c'].map((prefix) => ({ match: { prefix }, route: { cluster: 'a', timeout: '3s' } }))
    const compiled = compileJson(bootstrap({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [...routes, { match: { prefix: '/' }, route: { cluster: 'a' } }] }], clusters: { a: [8001] } }))
    const text = serializeSnapshot(compiled)
    const doc = JSON.parse(text) as { actions: unknown[]; snapshot: { listeners: { routeTable: { virtualHosts: { routes: { action: number[] } }[] } }[] } }
    expect(doc.actions).toHaveLength(2)
    expect(doc.snapshot.listeners[0]!.routeTable.virtualHosts[0]!.routes.action).toEqual([0, 0, 0, 1])
    const loaded = loadSnapshot(text).listeners[0]!.routeTable.virtualHosts[0]!.routes
    expect(loaded[0]!.action).toBe(loaded[2]!.action)
    expect(loaded[0]!.action).toEqual(compiled.listeners[0]!.routeTable.virtualHosts[0]!.routes[0]!.action)
    expect(loaded[3]!.action).not.toBe(loaded[0]!.action)
    for (const r of loaded) {
      expect(Object.isFrozen(r) && Object.isFrozen(r.match) && Object.isFrozen(r.match.path) && Object.isFrozen(r.action)).toBe(true)
      if (r.action.type === 'route') expect(Object.isFrozen(r.action.target)).toBe(true)
    }
  })

  it('writes routes as columns: unnamed routes and derived patterns leave their columns out; shared matchers, regexes and header mutations are written once', () => {
    const x = { headers: [{ name: 'x-t', string_match: { exact: 'a' } }] }
    const mutation = { request_headers_to_add: [{ header: { key: 'x-m', value: '%REQ(x-a)%' } }] }
    const routes = [
      { match: { prefix: '/a/', ...x }, route: { cluster: 'a' }, ...mutation },
      { match: { path: '/b', ...x }, route: { cluster: 'a' }, ...mutation },
      { match: { safe_regex: { regex: '/u/[0-9]+' } }, route: { cluster: 'a' } },
      { match: { safe_regex: { regex: '/u/[0-9]+' }, case_sensitive: false }, route: { cluster: 'a' } },
      { match: { path_separated_prefix: '/C', case_sensitive: false }, route: { cluster: 'a' } },
    ]
    const unnamed = compileJson(bootstrap({ virtual_hosts: [{ name: 'v', domains: ['*'], routes }], clusters: { a: [8001] } }))
    type Doc = { regexes: unknown[]; matches: unknown[]; extras: unknown[]; snapshot: { listeners: { routeTable: { virtualHosts: { routes: Record<string, unknown[]> }[] } }[] } }
    const doc = JSON.parse(serializeSnapshot(unnamed)) as Doc
    const cols = doc.snapshot.listeners[0]!.routeTable.virtualHosts[0]!.routes
    expect(cols.path).toEqual(['/a/', '/b', '/u/[0-9]+', '/u/[0-9]+', '/C'])
    expect(cols.name).toBeUndefined()
    expect(cols.pattern).toEqual([0, 0, '/u/:p0', '/u/:p0', 0])
    expect(cols.regex).toEqual([0, 0, 1, 1, 0])
    expect(cols.match).toEqual([1, 1, 0, 0, 0])
    expect(cols.extras).toEqual([1, 1, 0, 0, 0])
    expect([doc.regexes.length, doc.matches.length, doc.extras.length]).toEqual([1, 1, 1])
    const loaded = loadSnapshot(serializeSnapshot(unnamed)).listeners[0]!.routeTable.virtualHosts[0]!.routes
    expect(loaded.map((r) => r.name)).toEqual(['#0', '#1', '#2', '#3', '#4'])
    expect(loaded.map((r) => r.match.path.honoPattern)).toEqual(['/a/*', '/b', '/u/:p0', '/u/:p0', '/c/*'])
    expect(loaded[0]!.match.headers).toBe(loaded[1]!.match.headers)
    expect(loaded[0]!.requestHeaders).toBe(loaded[1]!.requestHeaders)
    const named = compileJson(bootstrap({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: routes.map((r, i) => (i === 1 ? { ...r, name: 'bee' } : r)) }], clusters: { a: [8001] } }))
    const namedCols = (JSON.parse(serializeSnapshot(named)) as Doc).snapshot.listeners[0]!.routeTable.virtualHosts[0]!.routes
    expect(namedCols.name).toEqual([0, 'bee', 0, 0, 0])
    expect(loadSnapshot(serializeSnapshot(named)).listeners[0]!.routeTable.virtualHosts[0]!.routes.map((r) => r.name)).toEqual(['#0', 'bee', '#2', '#3', '#4'])
  })
})

describe('loadSnapshot refuses what it cannot trust', () => {
  const text = serializeSnapshot(compileJson(bootstrap({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }] }] })))
  const refusal = (t: string) => {
    try {
      loadSnapshot(t)
    } catch (e) {
      return e
    }
    throw new Error('loaded')
  }

  it('a snapshot written by another compiler version, naming both versions', () => {
    const other = JSON.stringify({ ...JSON.parse(text), compilerVersion: 'edgevoy-compiler/0' })
    const e = refusal(other)
    expect(isProxyError(e) && e.code).toBe('snapshot_incompatible')
    expect((e as Error).message).toContain('"edgevoy-compiler/0"')
    expect((e as Error).message).toContain(COMPILER_VERSION)
  })

  it('text that is not a snapshot, or another format, or route columns naming what the snapshot does not have', () => {
    type Doc = { snapshot: { listeners: { routeTable: { virtualHosts: { routes: Record<string, unknown> }[] } }[] } }
    const corrupt = (f: (cols: Record<string, unknown>) => void) => {
      const doc = JSON.parse(text) as Doc
      f(doc.snapshot.listeners[0]!.routeTable.virtualHosts[0]!.routes)
      return JSON.stringify(doc)
    }
    const broken = [
      corrupt((c) => (c.action = [7])),
      corrupt((c) => (c.action = [])),
      corrupt((c) => (c.match = [1])),
      corrupt((c) => (c.flags = [2])),
      corrupt((c) => (c.path = undefined)),
    ]
    for (const t of ['not json', '{}', JSON.stringify({ ...JSON.parse(text), format: 'other' }), JSON.stringify({ ...JSON.parse(text), snapshot: null }), JSON.stringify({ ...JSON.parse(text), actions: undefined }), ...broken]) {
      const e = refusal(t)
      expect(isProxyError(e) && e.code).toBe('snapshot_incompatible')
    }
    expect((refusal(broken[0]!) as Error).message).toContain('route 0 names action 7, which the snapshot does not have')
  })
})

// envoy.filters.http.oauth2: its compiled config (defaults, cookie names, SameSite, secrets,
// redirect_uri formatter, path and header matchers) survives serialize → load.
const oauthMatcherArb = fc.constantFrom({ name: 'x-a', exact_match: '1' }, { name: ':path', string_match: { safe_regex: { regex: '^/(login|static/.*)$' } }, invert_match: true }, { name: 'x-b', present_match: true })
const oauth2Arb = fc.record(
  {
    forward_bearer_token: fc.boolean(),
    auth_scopes: fc.array(fc.constantFrom('openid', 'email', 'user:email'), { maxLength: 3 }),
    resources: fc.array(fc.constantFrom('https://api.example.com/', 'urn:x'), { maxLength: 2 }),
    auth_type: fc.constantFrom('URL_ENCODED_BODY', 'BASIC_AUTH'),
    use_refresh_token: fc.boolean(),
    default_expires_in: fc.constantFrom('600s', '0s', '3600s'),
    pass_through_matcher: fc.array(oauthMatcherArb, { maxLength: 2 }),
    deny_redirect_matcher: fc.array(oauthMatcherArb, { maxLength: 2 }),
    redirect_uri: fc.constantFrom('%REQ(x-forwarded-proto)%://%REQ(:authority)%/callback', 'https://app.example.com/cb', '%REQ(x-a)%/cb'),
    cookie_configs: fc.record({ bearer_token_cookie_config: fc.record({ same_site: fc.constantFrom('DISABLED', 'STRICT', 'LAX', 'NONE') }) }, { requiredKeys: [] }),
    disable_id_token_set_cookie: fc.boolean(),
    inlineHmac: fc.boolean(),
    cookieName: fc.constantFrom('', 'Tok'),
  },
  { requiredKeys: ['inlineHmac', 'cookieName', 'redirect_uri'] },
)

describe('loadSnapshot(serializeSnapshot(compile(c))) ≡ compile(c) for the oauth2 filter', () => {
  it('keeps every compiled field and decides matchers and redirect_uri alike', () => {
    fc.assert(
      fc.property(oauth2Arb, ({ inlineHmac, cookieName, ...fields }) => {
        const config = bootstrap({
          clusters: { a: [8001], oauth: [8009] },
          http_filters: [
            {
              name: 'envoy.filters.http.oauth2',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2',
                config: {
                  token_endpoint: { cluster: 'oauth', uri: 'oauth.example.com/token', timeout: '3s' },
                  authorization_endpoint: 'https://oauth.example.com/authorize',
                  redirect_path_matcher: { path: { prefix: '/callback' } },
                  signout_path: { path: { exact: '/signout' } },
                  credentials: { client_id: 'c', token_secret: { name: 'tok' }, hmac_secret: { name: 'hmac' }, cookie_names: { bearer_token: cookieName } },
                  ...fields,
                },
              },
            },
            { name: 'envoy.filters.http.router' },
          ],
          virtual_hosts: [{ name: 'any', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'a' } }] }],
        })
        if (inlineHmac) (config.static_resources as Record<string, unknown>).secrets = [{ name: 'hmac', generic_secret: { secret: { inline_string: 'k' } } }]
        const compiled = compileJson(config)
        const loaded = loadSnapshot(serializeSnapshot(compiled))
        const oauth = (s: Snapshot) => {
          const f = s.listeners[0]!.httpFilters.find((x) => x.kind === 'oauth2')
          return f?.kind === 'oauth2' ? f.config! : undefined
        }
        const [a, b] = [oauth(compiled)!, oauth(loaded)!]
        const data = (c: typeof a) => JSON.parse(JSON.stringify(c)) as unknown
        expect(data(b)).toEqual(data(a))
        const header = (n: string) => (n === ':authority' ? 'app.example.com' : n === 'x-forwarded-proto' ? 'https' : n === 'x-a' ? 'https://x' : '')
        expect(b.redirectUri(header)).toBe(a.redirectUri(header))
        for (const p of ['/callback', '/callback/x', '/signout', '/app']) {
          expect(b.redirectPathMatcher(p)).toBe(a.redirectPathMatcher(p))
          expect(b.signoutPath(p)).toBe(a.signoutPath(p))
        }
        for (const path of ['/login', '/static/a.js', '/app']) {
          for (const headers of [new Headers(), new Headers({ 'x-a': '1', 'x-b': '' })]) {
            const m = { headers, method: 'GET', authority: 'app.example.com', path, scheme: 'https' }
            expect(b.passThroughMatchers.map((p) => p.test(m))).toEqual(a.passThroughMatchers.map((p) => p.test(m)))
            expect(b.denyRedirectMatchers.map((p) => p.test(m))).toEqual(a.denyRedirectMatchers.map((p) => p.test(m)))
          }
        }
      }),
      { numRuns: 60 },
    )
  })
})
