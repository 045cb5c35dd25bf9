/**
 * Matchers as data → predicates: string matchers, header and query
 * matchers, and a route's path match. The semantics are Envoy's; the
 * compiler (src/compile/match.ts) decided everything that can be decided
 * before a request arrives.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routematch
 */
import type { HeaderMatcherIR, PathMatchIR, QueryMatcherIR, RouteMatchIR, StringMatcherIR } from '../compile/ir.js'
import type { HeaderPredicate, MatchRequest, PathPredicate, QueryPredicate, RouteMatch, StringMatch } from '../compile/types.js'
import type { Re2Regex } from '../regex/index.js'
import { regexOf } from './regex.js'

/** `type.matcher.v3.StringMatcher`; ignore_case has no effect on safe_regex (use (?i)), as in Envoy. */
export function linkStringMatcher(m: StringMatcherIR): StringMatch {
  if (m.kind === 'regex') {
    const re = regexOf(m.regex)
    return (v) => re.fullMatch(v)
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

/**
 * Envoy's HeaderUtility::matchHeaders: an absent header matches only
 * `present_match: false` (or, inverted, `present_match: true`); several values
 * are joined with "," before matching. A class, not closures: bundlers that
 * keep function names (wrangler does) pay a defineProperty per closure, and
 * a snapshot links thousands of these.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-headermatcher
 */
class HeaderMatcher implements HeaderPredicate {
  readonly name: string
  readonly describe: string
  private readonly match: StringMatch
  private readonly invert: boolean
  private readonly missingMatches: boolean
  private readonly treatMissingAsEmpty: boolean

  constructor(h: HeaderMatcherIR) {
    const m = h.match
    this.name = h.name
    this.describe = h.describe
    this.invert = h.invert === true
    this.treatMissingAsEmpty = h.treatMissingAsEmpty === true
    this.missingMatches = m.kind === 'present' ? (this.invert ? m.present : !m.present) : false
    this.match = m.kind === 'present' ? (m.present ? TRUE : FALSE) : m.kind === 'any' ? TRUE : m.kind === 'range' ? inRange(m.start, m.end) : linkStringMatcher(m)
    Object.freeze(this)
  }

  test(request: MatchRequest): boolean {
    const value = headerValue(request, this.name)
    if (value === null) return this.treatMissingAsEmpty ? this.match('') !== this.invert : this.missingMatches
    return this.match(value) !== this.invert
  }
}

const TRUE: StringMatch = () => true
const FALSE: StringMatch = () => false
const INTEGER = /^-?\d+$/
const inRange = (start: number, end: number): StringMatch => (v) => INTEGER.test(v) && Number(v) >= start && Number(v) < end

export const linkHeaderMatcher = (h: HeaderMatcherIR): HeaderPredicate => new HeaderMatcher(h)

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
class QueryMatcher implements QueryPredicate {
  readonly name: string
  readonly describe: string
  private readonly match: StringMatch

  constructor(q: QueryMatcherIR) {
    this.name = q.name
    this.describe = q.describe
    this.match = q.match.kind === 'any' ? TRUE : linkStringMatcher(q.match)
    Object.freeze(this)
  }

  test(params: URLSearchParams): boolean {
    const v = params.get(this.name)
    return v === null ? false : this.match(v)
  }
}

export const linkQueryMatcher = (q: QueryMatcherIR): QueryPredicate => new QueryMatcher(q)

/** A route's path specifier. */
class PathMatcher implements PathPredicate {
  readonly kind: PathMatchIR['kind']
  readonly value: string
  readonly caseSensitive: boolean
  readonly honoPattern: string | undefined
  readonly honoFoldCase: boolean
  /** The value to compare with: lowercased for a case-insensitive route. */
  private readonly want: string
  private readonly regex: Re2Regex | undefined

  constructor(p: PathMatchIR) {
    this.kind = p.kind
    this.value = p.value
    this.caseSensitive = p.caseSensitive !== false
    this.honoPattern = p.honoPattern
    this.honoFoldCase = p.honoFoldCase === true
    this.want = this.caseSensitive ? p.value : p.value.toLowerCase()
    this.regex = p.regex ? regexOf(p.regex) : undefined
    Object.freeze(this)
  }

  test(path: string): boolean {
    const want = this.want
    switch (this.kind) {
      case 'prefix':
        // "the prefix must match the beginning of the :path header" — a plain string prefix: /api matches /apiary.
        return (this.caseSensitive ? path : path.toLowerCase()).startsWith(want)
      case 'path':
        // "the path must exactly match the :path header once the query string is removed"
        return (this.caseSensitive ? stripQuery(path) : stripQuery(path).toLowerCase()) === want
      case 'path_separated_prefix': {
        // "the path must exactly match or start with the prefix followed by /" (query removed)
        const p = this.caseSensitive ? stripQuery(path) : stripQuery(path).toLowerCase()
        return p === want || (p.startsWith(want) && p.charCodeAt(want.length) === 47 /* / */)
      }
      case 'safe_regex':
        // "the regex must match the :path header once the query string is removed" — a full match.
        return this.regex!.fullMatch(stripQuery(path))
    }
  }
}

export const linkPathMatch = (p: PathMatchIR): PathPredicate => new PathMatcher(p)

const NONE: readonly never[] = Object.freeze([])

/**
 * Frozen as it is built (the matchers freeze themselves): a snapshot's
 * deepFreeze then stops here instead of walking tens of thousands of
 * objects one key at a time.
 */
export function linkRouteMatch(m: RouteMatchIR): RouteMatch {
  return Object.freeze({
    path: new PathMatcher(m.path),
    headers: m.headers ? Object.freeze(m.headers.map(linkHeaderMatcher)) : NONE,
    queryParameters: m.queryParameters ? Object.freeze(m.queryParameters.map(linkQueryMatcher)) : NONE,
    ...(m.runtimeFraction ? { runtimeFraction: Object.freeze(m.runtimeFraction) } : {}),
  })
}
