/**
 * A route's `match` → RouteMatchIR (path specifier, header and query
 * matchers as data), and the Hono pattern that narrows candidates (a
 * superset of what the path accepts, or none).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routematch
 */
import type { HeaderMatcherConfig, QueryParameterMatcherConfig } from '../config/schema/matchers.js'
import type { CookieMatcherConfig, RouteConfig } from '../config/schema/route.js'
import { literalPattern, regexHonoPattern } from './hono-pattern.js'
import { optionalFraction } from './filters/common.js'
import type { CookieMatcherIR, HeaderMatcherIR, HeaderValueMatchIR, PathMatchIR, QueryMatcherIR, RouteMatchIR } from './ir.js'
import { fullMatchRegexIR } from './regex.js'
import { describeStringMatcher, lowerStringMatcher } from './strings.js'

export function lowerPathMatch(match: RouteConfig['match']): PathMatchIR {
  const caseSensitive = match.case_sensitive !== false
  // A case-insensitive route's pattern is lowercased and matched against the lowercased path.
  const literal = (kind: 'prefix' | 'path' | 'path_separated_prefix', value: string): PathMatchIR => {
    const honoPattern = literalPattern(kind, caseSensitive ? value : value.toLowerCase())
    return { kind, value, ...(honoPattern !== undefined ? { honoPattern } : {}), ...(caseSensitive ? {} : { caseSensitive: false as const, honoFoldCase: true as const }) }
  }
  if (match.prefix !== undefined) return literal('prefix', match.prefix)
  if (match.path !== undefined) return literal('path', match.path)
  if (match.path_separated_prefix !== undefined) return literal('path_separated_prefix', match.path_separated_prefix)
  // case_sensitive is "ignored for safe_regex matching": use (?i) in the pattern.
  const source = match.safe_regex!.regex
  const honoPattern = regexHonoPattern(source)
  return { kind: 'safe_regex', value: source, ...(caseSensitive ? {} : { caseSensitive: false as const }), regex: fullMatchRegexIR(source), ...(honoPattern !== undefined ? { honoPattern } : {}) }
}

/** https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-headermatcher */
export function lowerHeaderMatcher(h: HeaderMatcherConfig): HeaderMatcherIR {
  const name = h.name.toLowerCase()
  let match: HeaderValueMatchIR
  let describe: string
  if (h.present_match !== undefined) {
    match = { kind: 'present', present: h.present_match }
    describe = h.present_match ? 'present' : 'absent'
  } else if (h.string_match) {
    match = lowerStringMatcher(h.string_match)
    describe = describeStringMatcher(h.string_match)
  } else if (h.exact_match !== undefined) {
    match = h.exact_match === '' ? { kind: 'any' } : { kind: 'exact', value: h.exact_match }
    describe = `exact ${JSON.stringify(h.exact_match)}`
  } else if (h.safe_regex_match) {
    match = { kind: 'regex', regex: fullMatchRegexIR(h.safe_regex_match.regex) }
    describe = `regex ${JSON.stringify(h.safe_regex_match.regex)}`
  } else if (h.prefix_match !== undefined) {
    match = { kind: 'prefix', value: h.prefix_match }
    describe = `prefix ${JSON.stringify(h.prefix_match)}`
  } else if (h.suffix_match !== undefined) {
    match = { kind: 'suffix', value: h.suffix_match }
    describe = `suffix ${JSON.stringify(h.suffix_match)}`
  } else if (h.contains_match !== undefined) {
    match = { kind: 'contains', value: h.contains_match }
    describe = `contains ${JSON.stringify(h.contains_match)}`
  } else if (h.range_match) {
    match = { kind: 'range', start: h.range_match.start, end: h.range_match.end }
    describe = `in [${h.range_match.start}, ${h.range_match.end})`
  } else {
    // No match specifier: the header only has to be present.
    match = { kind: 'any' }
    describe = 'present'
  }
  const invert = h.invert_match === true
  return {
    name,
    match,
    ...(invert ? { invert: true as const } : {}),
    ...(h.treat_missing_header_as_empty === true ? { treatMissingAsEmpty: true as const } : {}),
    describe: `header ${name} ${invert ? 'not ' : ''}${describe}`,
  }
}

/**
 * Envoy's QueryParameterMatcher::matches: present_match (whatever its value)
 * or no matcher means "present".
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-queryparametermatcher
 */
export function lowerQueryMatcher(q: QueryParameterMatcherConfig): QueryMatcherIR {
  if (q.string_match && !q.present_match)
    return { name: q.name, match: lowerStringMatcher(q.string_match), describe: `query ${q.name} ${describeStringMatcher(q.string_match)}` }
  if (q.value !== undefined && q.value !== '') {
    // v2: `value` with `regex: true` is a full-match regex, else an exact value.
    if (q.regex) return { name: q.name, match: { kind: 'regex', regex: fullMatchRegexIR(q.value) }, describe: `query ${q.name} regex ${JSON.stringify(q.value)}` }
    return { name: q.name, match: { kind: 'exact', value: q.value }, describe: `query ${q.name} exact ${JSON.stringify(q.value)}` }
  }
  return { name: q.name, match: { kind: 'any' }, describe: `query ${q.name} present` }
}

/** `config.route.v3.CookieMatcher` (Envoy PR #42662): the named cookie's value against a StringMatcher. */
export function lowerCookieMatcher(c: CookieMatcherConfig): CookieMatcherIR {
  const invert = c.invert_match === true
  return {
    name: c.name,
    match: lowerStringMatcher(c.string_match),
    ...(invert ? { invert: true as const } : {}),
    describe: `cookie ${c.name} ${invert ? 'not ' : ''}${describeStringMatcher(c.string_match)}`,
  }
}

export function lowerRouteMatch(match: RouteConfig['match']): RouteMatchIR {
  return {
    path: lowerPathMatch(match),
    ...(match.headers?.length ? { headers: match.headers.map(lowerHeaderMatcher) } : {}),
    ...(match.query_parameters?.length ? { queryParameters: match.query_parameters.map(lowerQueryMatcher) } : {}),
    ...optionalFraction('runtimeFraction', match.runtime_fraction?.default_value),
    ...(match.cookies?.length ? { cookies: match.cookies.map(lowerCookieMatcher) } : {}),
  }
}
