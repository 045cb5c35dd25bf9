/**
 * Route matching, one rule per test, each following Envoy's RouteMatch docs:
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routematch
 * Routes are tried in order and the first match wins:
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#route-table
 */
import { describe, expect, it } from 'vitest'
import { buildRouteIndex, linearIndex } from '../../src/router/route-index'
import { matchRequestOf } from '../../src/router/decide'
import { anyHost, bootstrap, compileJson } from '../support/config'

type Match = Record<string, unknown>
const named = (name: string, match: Match) => ({ name, match, direct_response: { status: 200 } })

/** Route name taken by a request, through the indexed router (and checked against the linear scan). */
function router(routes: unknown[]) {
  const vh = compileJson(bootstrap({ virtual_hosts: anyHost(routes) })).listeners[0]!.routeTable.virtualHosts[0]!
  const indexed = buildRouteIndex(vh)
  const linear = linearIndex(vh.routes)
  return (path: string, init: { method?: string; headers?: Record<string, string> } = {}) => {
    const { match, pathname } = matchRequestOf(new Request(`http://example.com${path}`, init))
    const a = indexed.select(match, pathname, undefined)?.name
    expect(linear.select(match, pathname, undefined)?.name).toBe(a)
    return a
  }
}

describe('path specifiers', () => {
  it('prefix is a plain string prefix: /api matches /apiary', () => {
    const take = router([named('api', { prefix: '/api' })])
    expect(take('/api')).toBe('api')
    expect(take('/apiary')).toBe('api')
    expect(take('/api/v1?x=1')).toBe('api')
    expect(take('/ap')).toBeUndefined()
  })
  it('path is an exact match once the query string is removed', () => {
    const take = router([named('exact', { path: '/login' })])
    expect(take('/login')).toBe('exact')
    expect(take('/login?next=/')).toBe('exact')
    expect(take('/login/')).toBeUndefined()
    expect(take('/Login')).toBeUndefined()
  })
  it('safe_regex must match the whole path, query removed', () => {
    const take = router([named('re', { safe_regex: { regex: '/users/[0-9]+' } })])
    expect(take('/users/42')).toBe('re')
    expect(take('/users/42?full=1')).toBe('re')
    expect(take('/users/42/posts')).toBeUndefined()
    expect(take('/x/users/42')).toBeUndefined()
  })
  it('path_separated_prefix matches the prefix exactly or followed by /', () => {
    const take = router([named('sep', { path_separated_prefix: '/api' })])
    expect(take('/api')).toBe('sep')
    expect(take('/api/v1')).toBe('sep')
    expect(take('/api?x')).toBe('sep')
    expect(take('/apiary')).toBeUndefined()
  })
  it('case_sensitive: false folds case for prefix and path, and is ignored for safe_regex', () => {
    const take = router([
      named('p', { prefix: '/Docs', case_sensitive: false }),
      named('x', { path: '/EXACT', case_sensitive: false }),
      named('r', { safe_regex: { regex: '/img/[a-z]+\\.png' }, case_sensitive: false }),
    ])
    expect(take('/docs/intro')).toBe('p')
    expect(take('/exact')).toBe('x')
    // "case_sensitive … Ignored for safe_regex matching": use (?i) in the pattern.
    expect(take('/IMG/CAT.PNG')).toBeUndefined()
    expect(take('/img/cat.png')).toBe('r')
  })
  it('takes the first matching route in config order, not the most specific', () => {
    const take = router([named('broad', { prefix: '/' }), named('narrow', { prefix: '/api' })])
    expect(take('/api')).toBe('broad')
  })
})

describe('header matchers', () => {
  // https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-headermatcher
  const take = router([
    named('exact', { prefix: '/', headers: [{ name: 'x-env', string_match: { exact: 'canary' } }] }),
    named('prefix', { prefix: '/', headers: [{ name: 'x-env', string_match: { prefix: 'stag' } }] }),
    named('suffix', { prefix: '/', headers: [{ name: 'x-env', string_match: { suffix: '-eu' } }] }),
    named('contains', { prefix: '/', headers: [{ name: 'x-env', string_match: { contains: 'mid' } }] }),
    named('regex', { prefix: '/', headers: [{ name: 'x-env', string_match: { safe_regex: { regex: 'v[0-9]+' } } }] }),
    named('ignore-case', { prefix: '/', headers: [{ name: 'x-env', string_match: { exact: 'prod', ignore_case: true } }] }),
    named('method', { prefix: '/', headers: [{ name: ':method', string_match: { exact: 'DELETE' } }] }),
    named('present', { prefix: '/', headers: [{ name: 'x-debug', present_match: true }] }),
    named('inverted', { prefix: '/', headers: [{ name: 'x-user', string_match: { exact: 'bot' }, invert_match: true }] }),
    named('rest', { prefix: '/' }),
  ])
  const h = (headers: Record<string, string>, method = 'GET') => take('/', { headers, method })
  it('string_match kinds', () => {
    expect(h({ 'x-env': 'canary', 'x-user': 'bot' })).toBe('exact')
    expect(h({ 'x-env': 'staging', 'x-user': 'bot' })).toBe('prefix')
    expect(h({ 'x-env': 'prod-eu', 'x-user': 'bot' })).toBe('suffix')
    expect(h({ 'x-env': 'a-mid-b', 'x-user': 'bot' })).toBe('contains')
    expect(h({ 'x-env': 'v12', 'x-user': 'bot' })).toBe('regex')
    expect(h({ 'x-env': 'PROD', 'x-user': 'bot' })).toBe('ignore-case')
  })
  it('matches pseudo-headers such as :method', () => {
    expect(h({ 'x-user': 'bot' }, 'DELETE')).toBe('method')
  })
  it('present_match', () => {
    expect(h({ 'x-debug': '', 'x-user': 'bot' })).toBe('present')
  })
  it('invert_match inverts a present header, and an absent header never matches an inverted value matcher', () => {
    // Envoy HeaderUtility::matchHeaders: a missing header only matches present_match variants.
    expect(h({ 'x-user': 'human' })).toBe('inverted')
    expect(h({})).toBe('rest')
    expect(h({ 'x-user': 'bot' })).toBe('rest')
  })
  it('v2 exact_match and regex_match forms', () => {
    const v2 = router([
      named('v2-exact', { prefix: '/', headers: [{ name: 'x-a', exact_match: 'one' }] }),
      named('v2-regex', { prefix: '/', headers: [{ name: 'x-a', regex_match: 't.o' }] }),
    ])
    expect(v2('/', { headers: { 'x-a': 'one' } })).toBe('v2-exact')
    expect(v2('/', { headers: { 'x-a': 'two' } })).toBe('v2-regex')
    expect(v2('/', { headers: { 'x-a': 'three' } })).toBeUndefined()
  })
  it('present_match: false matches only an absent header', () => {
    const t = router([named('absent', { prefix: '/', headers: [{ name: 'x-a', present_match: false }] })])
    expect(t('/')).toBe('absent')
    expect(t('/', { headers: { 'x-a': '1' } })).toBeUndefined()
  })
  it('range_match is [start, end)', () => {
    const t = router([named('range', { prefix: '/', headers: [{ name: 'x-n', range_match: { start: 10, end: 20 } }] })])
    expect(t('/', { headers: { 'x-n': '10' } })).toBe('range')
    expect(t('/', { headers: { 'x-n': '19' } })).toBe('range')
    expect(t('/', { headers: { 'x-n': '20' } })).toBeUndefined()
    expect(t('/', { headers: { 'x-n': '1x' } })).toBeUndefined()
  })
  it('every header matcher must hold', () => {
    const t = router([named('both', { prefix: '/', headers: [{ name: 'x-a', exact_match: '1' }, { name: 'x-b', exact_match: '2' }] })])
    expect(t('/', { headers: { 'x-a': '1', 'x-b': '2' } })).toBe('both')
    expect(t('/', { headers: { 'x-a': '1' } })).toBeUndefined()
  })
})

describe('query parameter matchers', () => {
  // https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-queryparametermatcher
  const take = router([
    named('exact', { prefix: '/', query_parameters: [{ name: 'debug', string_match: { exact: 'true' } }] }),
    named('present', { prefix: '/', query_parameters: [{ name: 'trace', present_match: true }] }),
    named('v2-regex', { prefix: '/', query_parameters: [{ name: 'id', value: '[0-9]+', regex: true }] }),
  ])
  it('string_match on the (decoded) value', () => {
    expect(take('/?debug=true')).toBe('exact')
    expect(take('/?debug=false')).toBeUndefined()
  })
  it('present_match', () => {
    expect(take('/?trace')).toBe('present')
    expect(take('/?trace=1')).toBe('present')
  })
  it('an absent parameter never matches', () => {
    expect(take('/')).toBeUndefined()
  })
  it('v2 value with regex: true', () => {
    expect(take('/?id=123')).toBe('v2-regex')
    expect(take('/?id=12a')).toBeUndefined()
  })
})
