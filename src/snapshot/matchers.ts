/**
 * Matchers as data → predicates: string matchers, header and query
 * matchers, and a route's path match. The semantics are Envoy's; the
 * compiler (src/compile/match.ts) decided everything that can be decided
 * before a request arrives.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routematch
 */
import type { HeaderMatcherIR, PathMatchIR, QueryMatcherIR, RouteMatchIR, StringMatcherIR } from '../compile/ir.js'
import type { HeaderPredicate, MatchRequest, PathPredicate, QueryPredicate, RouteMatch, StringMatch } from '../compile/types.js'
import { regexOf } from './regex.js'

/** `type.matcher.v3.StringMatcher`; ignore_case has no effect on safe_regex (use (?i)), as in Envoy. */
export function linkStringMatcher(m: StringMatcherIR): StringMatch {
  if (m.kind === 'regex') {
    const re = regexOf(m.regex)
    return (v) => re.test(v)
  }
  const ic = m.ignoreCase === true
  const want = ic ? m.value.toLowerCase() : m.value
  switch (m.kind) {
    case 'exact':
      return ic ? (v) => v.toLowerCase() === want : (v) => v === want
    case 'prefix':
      return ic ? (v) => v.toLowerCase().startsWith(want) : (v) => v.startsWith(want)
    case 'suffix':
      return ic ? (v) => v.toLowerCase().endsWith(want) : (v) => v.endsWith(want)
    case 'contains':
      return ic ? (v) => v.toLowerCase().includes(want) : (v) => v.includes(want)
  }
}

export const stripQuery = (path: string) => {
  const q = path.indexOf('?')
  return q < 0 ? path : path.slice(0, q)
}

const INTEGER = /^-?\d+$/

/**
 * Envoy's HeaderUtility::matchHeaders: an absent header matches only
 * `present_match: false` (or, inverted, `present_match: true`); several values
 * are joined with "," before matching.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-headermatcher
 */
export function linkHeaderMatcher(h: HeaderMatcherIR): HeaderPredicate {
  const { name, match: m } = h
  const invert = h.invert === true
  let test: StringMatch
  let missingMatches = false
  if (m.kind === 'present') {
    test = () => m.present
    missingMatches = invert ? m.present : !m.present
  } else if (m.kind === 'any') test = () => true
  else if (m.kind === 'range') test = (v) => INTEGER.test(v) && Number(v) >= m.start && Number(v) < m.end
  else test = linkStringMatcher(m)
  const treatMissingAsEmpty = h.treatMissingAsEmpty === true
  return {
    name,
    describe: h.describe,
    test: (request) => {
      const value = headerValue(request, name)
      if (value === null) return treatMissingAsEmpty ? test('') !== invert : missingMatches
      return test(value) !== invert
    },
  }
}

/**
 * The header as Envoy sees it for matching. Envoy joins repeated headers with
 * ","; fetch's Headers joins them with ", ", so undo that.
 * Pseudo-headers `:path`, `:method`, `:authority` and `:scheme` are read from the request.
 */
function headerValue(request: MatchRequest, name: string): string | null {
  if (name.charCodeAt(0) === 58 /* : */) {
    if (name === ':method') return request.method
    if (name === ':path') return request.path
    if (name === ':authority') return request.authority
    if (name === ':scheme') return request.scheme
    return null
  }
  const v = request.headers.get(name)
  return v === null || name === 'set-cookie' ? v : v.replaceAll(', ', ',')
}

/** Envoy's QueryParameterMatcher::matches: an absent parameter never matches. */
export function linkQueryMatcher(q: QueryMatcherIR): QueryPredicate {
  const m = q.match
  const test: StringMatch = m.kind === 'any' ? () => true : linkStringMatcher(m)
  const name = q.name
  return {
    name,
    describe: q.describe,
    test: (params) => {
      const v = params.get(name)
      return v === null ? false : test(v)
    },
  }
}

export function linkPathMatch(p: PathMatchIR): PathPredicate {
  const fold = p.caseSensitive ? undefined : (s: string) => s.toLowerCase()
  const want = fold ? fold(p.value) : p.value
  let test: (path: string) => boolean
  switch (p.kind) {
    case 'prefix':
      // "the prefix must match the beginning of the :path header" — a plain string prefix: /api matches /apiary.
      test = fold ? (path) => fold(path).startsWith(want) : (path) => path.startsWith(want)
      break
    case 'path':
      // "the path must exactly match the :path header once the query string is removed"
      test = fold ? (path) => fold(stripQuery(path)) === want : (path) => stripQuery(path) === want
      break
    case 'path_separated_prefix': {
      // "the path must exactly match or start with the prefix followed by /" (query removed)
      const withSlash = want + '/'
      test = (path) => {
        const s = fold ? fold(stripQuery(path)) : stripQuery(path)
        return s === want || s.startsWith(withSlash)
      }
      break
    }
    case 'safe_regex': {
      // "the regex must match the :path header once the query string is removed" — a full match.
      const re = regexOf(p.regex!)
      test = (path) => re.test(stripQuery(path))
      break
    }
  }
  return { kind: p.kind, value: p.value, caseSensitive: p.caseSensitive, test, honoPattern: p.honoPattern, honoFoldCase: p.honoFoldCase === true }
}

const NONE: readonly never[] = Object.freeze([])

export function linkRouteMatch(m: RouteMatchIR): RouteMatch {
  return {
    path: linkPathMatch(m.path),
    headers: m.headers ? m.headers.map(linkHeaderMatcher) : NONE,
    queryParameters: m.queryParameters ? m.queryParameters.map(linkQueryMatcher) : NONE,
  }
}
