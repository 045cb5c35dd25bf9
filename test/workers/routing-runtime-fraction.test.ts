/**
 * RouteMatch.runtime_fraction (and v2's RouteMatch.runtime, which Envoy read
 * as a fraction of HUNDRED): the route matches a share of requests.
 * "For some fraction N/D, a random number in the range [0,D) is selected. If
 * the number is <= the value of the numerator N, or if the key is not
 * present, the default value, the router continues to evaluate the remaining
 * match criteria." Envoy compares with ProtobufPercentHelper's
 * `random % denominator < numerator`, draws the value once per stream (every
 * route of the table sees the same one), and without layered_runtime uses
 * the defaults ("a null provider … all defaults being used").
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routematch-runtime-fraction
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/bootstrap/v3/bootstrap.proto#envoy-v3-api-field-config-bootstrap-v3-bootstrap-layered-runtime
 */
import { describe, expect, it } from 'vitest'
import { formatPath } from '../../src/config/issues'
import { loadConfig } from '../../src/config/load'
import { shadows } from '../../src/compile/route-shadow'
import { matchRequestOf } from '../../src/router/decide'
import { buildRouteIndex, linearIndex } from '../../src/router/route-index'
import { anyHost, bootstrap, compileJson, ROUTER } from '../support/config'
import { testApp } from '../support/app'

const fraction = (numerator: number, denominator?: string) => ({ runtime_key: 'routing.traffic_shift.helloworld', default_value: { numerator, ...(denominator ? { denominator } : {}) } })
const route = (name: string, match: Record<string, unknown>) => ({ name, match: { prefix: '/', ...match }, direct_response: { status: 200, body: { inline_string: name } } })
/** A 25% route, then a 50% route, then the rest — and, with `pad`, enough other routes that the indexed router is used. */
const routes = (pad = 0) => [
  ...Array.from({ length: pad }, (_, i) => route(`other${i}`, { prefix: `/other${i}` })),
  route('quarter', { runtime_fraction: fraction(25) }),
  route('half', { runtime_fraction: fraction(50) }),
  route('rest', {}),
]

function router(rs: unknown[]) {
  const vh = compileJson(bootstrap({ virtual_hosts: anyHost(rs) })).listeners[0]!.routeTable.virtualHosts[0]!
  const indexed = buildRouteIndex(vh)
  const linear = linearIndex(vh.routes)
  /** The route taken when the request's random value is `value`, and how many times it was drawn. */
  return (value: number) => {
    let draws = 0
    const random = () => (draws++, value)
    const { match, pathname } = matchRequestOf(new Request('http://example.com/x'), random)
    const taken = indexed.select(match, pathname, undefined)?.name
    const { match: again } = matchRequestOf(new Request('http://example.com/x'), () => value)
    expect(linear.select(again, pathname, undefined)?.name).toBe(taken)
    return { taken, draws }
  }
}

describe('runtime_fraction', () => {
  it('matches when the random value falls under default_value (random % D < N), one value per request for every route', () => {
    for (const pad of [0, 12]) {
      const take = router(routes(pad))
      expect(take(0).taken).toBe('quarter')
      expect(take(0.2499).taken).toBe('quarter')
      // Not "<=": 25/100 does not match the value 25 (Envoy's evaluateFractionalPercent).
      expect(take(0.25).taken).toBe('half')
      expect(take(0.4999).taken).toBe('half')
      expect(take(0.5).taken).toBe('rest')
      expect(take(0.99).taken).toBe('rest')
      // One draw for the whole table: with a fresh value per route the 50% route would take
      // 50% of the 75% left (37.5% of requests); Envoy's one value per stream gives it 25%.
      expect(take(0.7).draws).toBe(1)
    }
  })

  it('a request with no runtime_fraction route draws nothing', () => {
    const take = router([route('a', { prefix: '/x' }), route('b', {})])
    expect(take(0.5)).toEqual({ taken: 'a', draws: 0 })
  })

  it('0 never matches, N >= D always matches; TEN_THOUSAND and MILLION denominators', () => {
    const take = router([route('never', { runtime_fraction: fraction(0) }), route('per10k', { runtime_fraction: fraction(1, 'TEN_THOUSAND') }), route('all', { runtime_fraction: fraction(100) })])
    expect(take(0).taken).toBe('per10k')
    expect(take(0.0001).taken).toBe('all')
    expect(take(0.999999).taken).toBe('all')
    const million = router([route('ppm', { runtime_fraction: fraction(500_000, 'MILLION') }), route('rest', {})])
    expect(million(0.4999995).taken).toBe('ppm')
    expect(million(0.5).taken).toBe('rest')
  })

  it('the app draws from the injected random: a 25% route takes about a quarter of 2000 requests', async () => {
    let state = 7
    // A small deterministic generator (LCG), so the count is the same on every run.
    const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state / 2 ** 31)
    const { request } = testApp(compileJson(bootstrap({ virtual_hosts: anyHost(routes()) })), { random })
    const seen: Record<string, number> = {}
    for (let i = 0; i < 2000; i++) {
      const body = await (await request('http://example.com/x')).text()
      seen[body] = (seen[body] ?? 0) + 1
    }
    // Binomial(2000, 0.25): sd ≈ 19; ±100 is over 5 sd.
    expect(seen.quarter).toBeGreaterThan(400)
    expect(seen.quarter).toBeLessThan(600)
    expect(seen.half).toBeGreaterThan(400)
    expect(seen.half).toBeLessThan(600)
    expect(seen.rest).toBeGreaterThan(900)
    expect(seen.rest).toBeLessThan(1100)
  })

  it('a route after a runtime_fraction catch-all is not reported as shadowed: the share it does not take goes on', () => {
    const vh = compileJson(bootstrap({ virtual_hosts: anyHost(routes()) })).listeners[0]!.routeTable.virtualHosts[0]!
    const [quarter, half, rest] = vh.routes
    expect(shadows(quarter!, half!)).toBe(false)
    expect(shadows(half!, rest!)).toBe(false)
    const all = compileJson(bootstrap({ virtual_hosts: anyHost([route('all', { runtime_fraction: fraction(100) }), route('rest', {})]) })).listeners[0]!.routeTable.virtualHosts[0]!
    expect(shadows(all.routes[0]!, all.routes[1]!)).toBe(true)
  })

  it('runtime_key is accepted with a warning: there is no runtime to override default_value', () => {
    const r = loadConfig(JSON.stringify(bootstrap({ virtual_hosts: anyHost(routes()) })))
    expect(r.ok).toBe(true)
    const w = r.warnings.find((x) => formatPath(x.path).endsWith('routes[0].match.runtime_fraction.runtime_key'))
    expect(w?.message).toMatch(/runtime_key is accepted but not applied by edgevoy: there is no Envoy runtime on Workers: default_value always applies/)
  })

  it('in a jwt_authn rule it is accepted with a warning: Envoy\'s rule matcher ignores it too ("matching on RouteMatch runtime is not implemented", jwt_authn/matcher.cc)', () => {
    const jwt = { name: 'envoy.filters.http.jwt_authn', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', providers: {}, rules: [{ match: { prefix: '/', runtime_fraction: fraction(10) } }] } }
    const r = loadConfig(JSON.stringify(bootstrap({ virtual_hosts: anyHost([route('a', {})]), http_filters: [jwt, ROUTER] })))
    expect(r.ok).toBe(true)
    expect(r.warnings.map((w) => w.message)).toEqual(expect.arrayContaining([expect.stringMatching(/match\.runtime_fraction is not applied in jwt_authn rules/)]))
  })

  it('default_value is required, as in Envoy (RuntimeFractionalPercent.default_value: required)', () => {
    const r = loadConfig(JSON.stringify(bootstrap({ virtual_hosts: anyHost([route('a', { runtime_fraction: { runtime_key: 'k' } })]) })))
    expect(r.ok).toBe(false)
    expect(formatPath(r.errors[0]!.path)).toMatch(/match\.runtime_fraction\.default_value$/)
  })
})

describe('v2 RouteMatch.runtime (turbinelabs-envoy-examples, Envoy v1.x)', () => {
  // The v2 field: RuntimeUInt32 { default_value, runtime_key }, a percentage; Envoy's v2
  // RouteEntryImplBase::loadRuntimeData made it a FractionalPercent of HUNDRED.
  const v2 = `
static_resources:
  listeners:
  - address: { socket_address: { address: 0.0.0.0, port_value: 80 } }
    filter_chains:
    - filters:
      - name: envoy.http_connection_manager
        config:
          codec_type: auto
          stat_prefix: ingress_http
          idle_timeout: 840s
          route_config:
            virtual_hosts:
            - name: backend
              domains: ["*"]
              routes:
              - match:
                  prefix: "/"
                  headers:
                  - name: "x-canary-version"
                    value: "service1a"
                route: { cluster: service1a }
              - match:
                  prefix: "/"
                  runtime:
                    default_value: 25
                    runtime_key: routing.traffic_shift.helloworld
                route: { cluster: service1a }
              - match: { prefix: "/" }
                route: { cluster: service1 }
          http_filters:
          - name: envoy.router
            config: {}
  clusters:
  - name: service1
    connect_timeout: 0.25s
    type: strict_dns
    lb_policy: round_robin
    http2_protocol_options: {}
    hosts: [{ socket_address: { address: service1, port_value: 80 } }]
    health_checks:
    - timeout: 1s
      interval: 10s
      unhealthy_threshold: 2
      healthy_threshold: 2
      http_health_check: { path: /healthz, service_name: service1 }
  - name: service1a
    connect_timeout: 0.25s
    type: strict_dns
    lb_policy: round_robin
    hosts: [{ socket_address: { address: service1a, port_value: 80 } }]
`

  it('loads, with runtime as a 25/100 runtime_fraction, value as exact_match, idle_timeout and service_name kept', () => {
    const r = loadConfig(v2)
    expect(r.errors).toEqual([])
    const json = r.config!.json as any
    const hcm = json.static_resources.listeners[0].filter_chains[0].filters[0].typed_config
    const [byHeader, shifted] = hcm.route_config.virtual_hosts[0].routes
    expect(shifted.match.runtime_fraction).toEqual({ runtime_key: 'routing.traffic_shift.helloworld', default_value: { numerator: 25, denominator: 'HUNDRED' } })
    // HeaderMatcher.value (v2): "If specified, header match will be performed based on the value of the header."
    expect(byHeader.match.headers[0]).toEqual({ name: 'x-canary-version', exact_match: 'service1a' })
    // v2 HttpConnectionManager.idle_timeout moved to common_http_protocol_options.idle_timeout.
    expect(hcm.common_http_protocol_options.idle_timeout).toBe('840s')
    // v2 HttpHealthCheck.service_name: a prefix of the health checker's x-envoy-upstream-healthchecked-cluster.
    expect(json.static_resources.clusters[0].health_checks[0].http_health_check.service_name_matcher).toEqual({ prefix: 'service1' })
    // Acted on (health-service-name.test.ts): no warning about it.
    expect(r.warnings.some((i) => formatPath(i.path).includes('service_name'))).toBe(false)
    expect(compileJson(r.config!.json as Record<string, unknown>).clusters.get('service1')!.resilience.healthChecks[0]!.serviceName).toEqual({ kind: 'prefix', value: 'service1' })
  })

  it('the v2 runtime route takes the requests whose random value is under 25%', () => {
    const r = loadConfig(v2)
    const snapshot = compileJson(r.config!.json as Record<string, unknown>)
    const vh = snapshot.listeners[0]!.routeTable.virtualHosts[0]!
    const index = buildRouteIndex(vh)
    const take = (value: number, headers: Record<string, string> = {}) => {
      const { match, pathname } = matchRequestOf(new Request('http://example.com/', { headers }), () => value)
      const route = index.select(match, pathname, undefined)
      return route?.action.type === 'route' && route.action.target.kind === 'cluster' ? route.action.target.name : undefined
    }
    expect(take(0.1)).toBe('service1a')
    expect(take(0.3)).toBe('service1')
    expect(take(0.9, { 'x-canary-version': 'service1a' })).toBe('service1a')
  })
})
