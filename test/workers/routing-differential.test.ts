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

// A small alphabet so that random paths and prefixes collide often.
const segment = fc.constantFrom('a', 'ab', 'abc', 'api', 'API', 'v1', 'v2', 'v12', '123', 'x.y', 'x.png', 'b-c', '%20', '')
const pathArb = fc.array(segment, { minLength: 0, maxLength: 4 }).map((s) => '/' + s.join('/'))
const prefixArb = fc.oneof(pathArb, pathArb.map((p) => p.slice(0, Math.max(1, p.length - 1))))

const headerArb = fc.record({
  name: fc.constantFrom('x-a', 'x-b', ':method'),
  string_match: fc.oneof(
    fc.record({ exact: fc.constantFrom('1', '2', 'GET', 'POST') }),
    fc.record({ prefix: fc.constantFrom('1', 'G', 'P') }),
  ),
  invert_match: fc.boolean(),
})
// Names and values that also occur in paths, so a query matcher read from the path would show.
const queryArb = fc.record({ name: fc.constantFrom('q', 'r', 'a', '/a'), string_match: fc.record({ exact: fc.constantFrom('1', '2', '') }) })

// Regex path shapes the index derives Hono patterns from (literals, one-segment
// classes) and shapes it must give up on or widen (wildcards, alternation,
// optional groups, escaped or quantified slashes, a class whose range holds "/").
const regexPiece = fc.constantFrom(
  'a', 'ab', 'api', 'v1', 'x\\.y', 'b-c', '%20', 'v[0-9]+', '[0-9]+', '[^/]+', '[a-z]+', '\\d+', '\\w{1,3}', '[0-9]{1,3}',
  '.*', '.*\\.png', '[!-z]+', '(a|ab)', 'a(/b)?', 'ab?', 'a\\/b', '?', '[^/]*', '',
)
const regexArb = fc
  .record({ pieces: fc.array(regexPiece, { minLength: 1, maxLength: 4 }), start: fc.boolean(), end: fc.boolean() })
  .map(({ pieces, start, end }) => `${start ? '^' : ''}/${pieces.join('/')}${end ? '$' : ''}`)

const matchArb = fc
  .record({
    spec: fc.oneof(
      prefixArb.map((p) => ({ prefix: p })),
      pathArb.map((p) => ({ path: p })),
      pathArb.filter((p) => p.length > 1 && !p.endsWith('/')).map((p) => ({ path_separated_prefix: p })),
      pathArb.map((p) => ({ safe_regex: { regex: p.replace(/\./g, '\\.') + '(/.*)?' } })),
      regexArb.map((regex) => ({ safe_regex: { regex } })),
      regexArb.map((regex) => ({ safe_regex: { regex } })),
    ),
    caseInsensitive: fc.boolean(),
    headers: fc.array(headerArb, { maxLength: 2 }),
    query: fc.array(queryArb, { maxLength: 1 }),
  })
  .map(({ spec, caseInsensitive, headers, query }) => ({
    ...spec,
    ...(caseInsensitive ? { case_sensitive: false } : {}),
    ...(headers.length ? { headers } : {}),
    ...(query.length ? { query_parameters: query } : {}),
  }))

const requestArb = fc.record({
  path: pathArb,
  query: fc.constantFrom('', '?q=1', '?q=2&r=1', '?r=2', '?a', '?%2Fa='),
  method: fc.constantFrom('GET', 'POST'),
  xa: fc.option(fc.constantFrom('1', '2'), { nil: undefined }),
  xb: fc.option(fc.constantFrom('1', 'GET'), { nil: undefined }),
})

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
          if (r.xb) headers['x-b'] = r.xb
          const { match, pathname } = matchRequestOf(new Request(`http://h${r.path}${r.query}`, { method: r.method, headers }))
          const want = linear.select(match, pathname, undefined)?.name
          expect(indexed.select(match, pathname, undefined)?.name).toBe(want)
          decisions++
          if (want) matched++
        }
      }),
      { numRuns: 1000 },
    )
    // The generator must exercise both outcomes, or the property proves little.
    expect(decisions).toBeGreaterThan(5000)
    expect(matched / decisions).toBeGreaterThan(0.1)
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
