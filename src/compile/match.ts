/**
 * A route's `match` → compiled predicates, and the Hono pattern that narrows
 * candidates (a superset of what the predicate accepts, or none).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routematch
 */
import type { HeaderMatcherConfig, QueryParameterMatcherConfig } from '../config/schema/matchers.js'
import type { RouteConfig } from '../config/schema/route.js'
import { literalPattern, regexHonoPattern } from './hono-pattern.js'
import { compileStringMatcher, describeStringMatcher, fullMatchRegex } from './strings.js'
import type { HeaderPredicate, MatchRequest, PathPredicate, QueryPredicate, RouteMatch, StringMatch } from './types.js'

export function compilePathPredicate(match: RouteConfig['match']): PathPredicate {
  const caseSensitive = match.case_sensitive !== false
  const fold = caseSensitive ? (s: string) => s : (s: string) => s.toLowerCase()
  // A case-insensitive route's pattern is lowercased and matched against the lowercased path.
  const pattern = (kind: 'prefix' | 'path' | 'path_separated_prefix', value: string) => ({
    honoPattern: literalPattern(kind, fold(value)),
    honoFoldCase: !caseSensitive,
  })
  if (match.prefix !== undefined) {
    // "the prefix must match the beginning of the :path header" — a plain string prefix: /api matches /apiary.
    const want = fold(match.prefix)
    return {
      kind: 'prefix', value: match.prefix, caseSensitive,
      test: (path) => fold(path).startsWith(want),
      ...pattern('prefix', match.prefix),
    }
  }
  if (match.path !== undefined) {
    // "the path must exactly match the :path header once the query string is removed"
    const want = fold(match.path)
    return {
      kind: 'path', value: match.path, caseSensitive,
      test: (path) => fold(stripQuery(path)) === want,
      ...pattern('path', match.path),
    }
  }
  if (match.path_separated_prefix !== undefined) {
    // "the path must exactly match or start with the prefix followed by /" (query removed)
    const want = fold(match.path_separated_prefix)
    return {
      kind: 'path_separated_prefix', value: match.path_separated_prefix, caseSensitive,
      test: (path) => {
        const p = fold(stripQuery(path))
        return p === want || p.startsWith(want + '/')
      },
      ...pattern('path_separated_prefix', match.path_separated_prefix),
    }
  }
  // "the regex must match the :path header once the query string is removed" — a full match.
  // case_sensitive is "ignored for safe_regex matching": use (?i) in the pattern.
  const source = match.safe_regex!.regex
  const re = fullMatchRegex(source)
  return { kind: 'safe_regex', value: source, caseSensitive, test: (path) => re.fullMatch(stripQuery(path)), honoPattern: regexHonoPattern(source), honoFoldCase: false }
}

export const stripQuery = (path: string) => {
  const q = path.indexOf('?')
  return q < 0 ? path : path.slice(0, q)
}

/**
 * Envoy's HeaderUtility::matchHeaders: an absent header matches only
 * `present_match: false` (or, inverted, `present_match: true`); several values
 * are joined with "," before matching.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-headermatcher
 */
export function compileHeaderMatcher(h: HeaderMatcherConfig): HeaderPredicate {
  const name = h.name.toLowerCase()
  const invert = h.invert_match === true
  let test: StringMatch
  let describe: string
  let isPresent = false
  if (h.present_match !== undefined) {
    isPresent = true
    test = () => h.present_match!
    describe = h.present_match ? 'present' : 'absent'
  } else if (h.string_match) {
    test = compileStringMatcher(h.string_match)
    describe = describeStringMatcher(h.string_match)
  } else if (h.exact_match !== undefined) {
    const want = h.exact_match
    test = want === '' ? () => true : (v) => v === want
    describe = `exact ${JSON.stringify(want)}`
  } else if (h.safe_regex_match) {
    const re = fullMatchRegex(h.safe_regex_match.regex)
    test = (v) => re.fullMatch(v)
    describe = `regex ${JSON.stringify(h.safe_regex_match.regex)}`
  } else if (h.prefix_match !== undefined) {
    test = (v) => v.startsWith(h.prefix_match!)
    describe = `prefix ${JSON.stringify(h.prefix_match)}`
  } else if (h.suffix_match !== undefined) {
    test = (v) => v.endsWith(h.suffix_match!)
    describe = `suffix ${JSON.stringify(h.suffix_match)}`
  } else if (h.contains_match !== undefined) {
    test = (v) => v.includes(h.contains_match!)
    describe = `contains ${JSON.stringify(h.contains_match)}`
  } else if (h.range_match) {
    const { start, end } = h.range_match
    test = (v) => /^-?\d+$/.test(v) && Number(v) >= start && Number(v) < end
    describe = `in [${start}, ${end})`
  } else {
    // No match specifier: the header only has to be present.
    test = () => true
    describe = 'present'
  }
  const missingMatches = isPresent ? (invert ? h.present_match === true : h.present_match === false) : false
  const treatMissingAsEmpty = h.treat_missing_header_as_empty === true
  return {
    name,
    describe: `header ${name} ${invert ? 'not ' : ''}${describe}`,
    test: (request) => {
      const value = getAllValues(request, name)
      if (value === null) {
        if (!treatMissingAsEmpty) return missingMatches
        return test('') !== invert
      }
      return test(value) !== invert
    },
  }
}

/**
 * The header as Envoy sees it for matching. Envoy joins repeated headers with
 * ","; fetch's Headers joins them with ", ", so undo that.
 * Pseudo-headers `:path`, `:method`, `:authority` and `:scheme` are read from the request.
 */
function getAllValues(request: MatchRequest, name: string): string | null {
  if (name.startsWith(':')) {
    if (name === ':method') return request.method
    if (name === ':path') return request.path
    if (name === ':authority') return request.authority
    if (name === ':scheme') return request.scheme
    return null
  }
  const v = request.headers.get(name)
  return v === null || name === 'set-cookie' ? v : v.replaceAll(', ', ',')
}

/** https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-queryparametermatcher */
export function compileQueryMatcher(q: QueryParameterMatcherConfig): QueryPredicate {
  let test: (v: string) => boolean
  let describe: string
  // Envoy's QueryParameterMatcher::matches: an absent parameter never matches;
  // present_match (whatever its value) or no matcher means "present".
  if (q.string_match && !q.present_match) {
    test = compileStringMatcher(q.string_match)
    describe = describeStringMatcher(q.string_match)
  } else if (q.value !== undefined && q.value !== '') {
    // v2: `value` with `regex: true` is a full-match regex, else an exact value.
    const want = q.value
    const re = q.regex ? fullMatchRegex(want) : undefined
    test = re ? (v) => re.fullMatch(v) : (v) => v === want
    describe = re ? `regex ${JSON.stringify(want)}` : `exact ${JSON.stringify(want)}`
  } else {
    test = () => true
    describe = 'present'
  }
  return {
    name: q.name,
    describe: `query ${q.name} ${describe}`,
    test: (params) => {
      const v = params.get(q.name)
      return v === null ? false : test(v)
    },
  }
}

export function compileRouteMatch(match: RouteConfig['match']): RouteMatch {
  return {
    path: compilePathPredicate(match),
    headers: (match.headers ?? []).map(compileHeaderMatcher),
    queryParameters: (match.query_parameters ?? []).map(compileQueryMatcher),
  }
}
