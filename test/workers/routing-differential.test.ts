/**
 * The indexed router must answer exactly as Envoy's plain first-match scan
 * over the routes, for every request. Random route tables (prefixes sharing
 * stems, exact paths, separated prefixes, regexes, case-insensitive routes,
 * header and query matchers) against random requests.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#route-table
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { regexHonoPattern } from '../../src/compile/hono-pattern'
import { matchRequestOf } from '../../src/router/decide'
import { buildRouteIndex, linearIndex } from '../../src/router/route-index'
import { anyHost, bootstrap, compileJson } from '../support/config'
import { matchArb, requestArb } from '../support/route-arbs'

describe('indexed router ≡ first-match linear scan', () => {
  it('agrees on every request over 1,000 random route tables', { timeout: 120_000 }, () => {
    let decisions = 0
    let matched = 0
    fc.assert(
      fc.property(fc.array(matchArb, { minLength: 1, maxLength: 40 }), fc.array(requestArb, { minLength: 1, maxLength: 20 }), (matches, requests) => {
        const routes = matches.map((match, i) => ({ name: `r${i}`, match, direct_response: { status: 200 } }))
        const vh = compileJson(bootstrap({ virtual_hosts: anyHost(routes) })).listeners[0]!.routeTable.virtualHosts[0]!
        // threshold 0: always use the Hono index, however few routes.
        const indexed = buildRouteIndex(vh, { threshold: 0 })
        const linear = linearIndex(vh.routes)
        for (const r of requests) {
          const headers: Record<string, string> = {}
          if (r.xa) headers['x-a'] = r.xa
          if (r.cookie) headers.cookie = r.cookie
          if (r.xb) headers['x-b'] = r.xb
          // A fixed random value, so runtime_fraction routes decide the same in both (route-arbs).
          const { match, pathname } = matchRequestOf(new Request(`http://h${r.path}${r.query}`, { method: r.method, headers }), () => 0.25)
          const want = linear.select(match, pathname, undefined)?.name
          expect(indexed.select(match, pathname, undefined)?.name).toBe(want)
          decisions++
          if (want) matched++
        }
      }),
      { numRuns: 1000 },
    )
    // The generator must exercise both outcomes, or the property proves little.
    // Cookies and runtime_fraction (0% and 30% routes) make matches rarer: ≥ 5% is still hundreds of matched decisions.
    expect(decisions).toBeGreaterThan(5000)
    expect(matched / decisions).toBeGreaterThan(0.05)
    expect(matched / decisions).toBeLessThan(0.95)
  })
})

// The narrowing patterns derived from safe_regex must match a superset of the
// regex (the predicate still decides); anything not understood gives none.
// https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routematch-safe-regex
describe('regexHonoPattern', () => {
  it.each([
    ['/users/[0-9]+/orders', '/users/:p0/orders'],
    ['^/api/v1/[^/]+$', '/api/v1/:p0'],
    ['/api/v[0-9]+/users/[^/]+', '/api/*'],
    ['/files/.*\\.png', '/files/*'],
    ['/x\\.y/\\d{1,3}', '/x.y/:p0'],
    ['/a/b\\/c', '/a/*'],
  ])('%s → %s', (regex, pattern) => expect(regexHonoPattern(regex)).toBe(pattern))

  it.each(['/(a|b)/c', '/a(/b)?', '/a/?b', '/[!-z]+', 'a/b', '/\\Qa/b\\E', '(?i)/a', '.*', '/[a-z'])('%s → none', (regex) =>
    expect(regexHonoPattern(regex)).toBeUndefined(),
  )
})
