/**
 * Matchers as data → predicates: string matchers, header and query
 * matchers, and a route's path match. The semantics are Envoy's; the
 * compiler (src/compile/match.ts) decided everything that can be decided
 * before a request arrives.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routematch
 */
import type { CookieMatcherIR, HeaderMatcherIR, PathMatchIR, QueryMatcherIR, RouteMatchExtrasIR, RouteMatchIR, StringMatcherIR } from '../compile/ir.js'
import type { CookiePredicate, Fraction, HeaderPredicate, MatchRequest, PathPredicate, QueryParams, QueryPredicate, RouteMatch, StringMatch } from '../compile/types.js'
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
export function headerValue(request: MatchRequest, name: string): string | null {
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

/**
 * Envoy's QueryParameterMatcher::matches: the first value of the parameter,
 * as the router parses it (QueryParamsMulti::parseQueryString — not
 * percent-decoded); an absent parameter never matches.
 */
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

  test(params: QueryParams): boolean {
    const v = params.get(this.name)
    return v === null ? false : this.match(v)
  }
}

/**
 * The query string of `:path` as Envoy's router reads it for matching
 * (Http::Utility::QueryParamsMulti::parseQueryString, source/common/http/utility.cc):
 * `&`-separated, split at the first `=` (none: an empty value), up to a `#`,
 * and neither names nor values percent-decoded — `?k=a%20b` has the value
 * `a%20b`, and `+` stays `+`. The first value of a repeated name counts.
 */
export class RawQuery implements QueryParams {
  private readonly first = new Map<string, string>()

  constructor(path: string) {
    const q = path.indexOf('?')
    if (q < 0) return
    let end = path.indexOf('#', q)
    if (end < 0) end = path.length
    let start = q + 1
    while (start < end) {
      let stop = path.indexOf('&', start)
      if (stop < 0 || stop > end) stop = end
      const eq = path.indexOf('=', start)
      const [key, value] = eq >= 0 && eq < stop ? [path.slice(start, eq), path.slice(eq + 1, stop)] : [path.slice(start, stop), '']
      if (!this.first.has(key)) this.first.set(key, value)
      start = stop + 1
    }
  }

  get(name: string): string | null {
    return this.first.get(name) ?? null
  }
}

/**
 * The value of cookie `name` in the Cookie header(s), or null: Envoy's
 * Http::Utility::parseCookieValue — `;`-separated pairs, whitespace trimmed,
 * the first pair with that exact name wins, surrounding double quotes dropped.
 */
export function cookieValue(headers: Headers, name: string): string | null {
  const header = headers.get('cookie')
  if (header === null) return null
  // Several Cookie headers reach a Worker joined by ", " — split on both.
  for (const part of header.split(/;|, (?=[^=;,\s]+=)/)) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue
    const v = part.slice(eq + 1).trim()
    return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v
  }
  return null
}

/**
 * A route's `cookies` entry (config.route.v3.CookieMatcher, Envoy PR #42662):
 * the named cookie's value against a StringMatcher; an absent cookie never
 * matches, inverted or not (as a header matcher without present_match).
 */
class CookieMatcher implements CookiePredicate {
  readonly name: string
  readonly describe: string
  private readonly match: StringMatch
  private readonly invert: boolean

  constructor(c: CookieMatcherIR) {
    this.name = c.name
    this.describe = c.describe
    this.match = linkStringMatcher(c.match)
    this.invert = c.invert === true
  }

  test(request: MatchRequest): boolean {
    const v = cookieValue(request.headers, this.name)
    return v !== null && this.match(v) !== this.invert
  }
}

export const linkCookieMatcher = (c: CookieMatcherIR): CookiePredicate => new CookieMatcher(c)

export const linkQueryMatcher = (q: QueryMatcherIR): QueryPredicate => new QueryMatcher(q)

/**
 * The Hono pattern a literal path value derives (src/compile/hono-pattern.ts
 * literalPattern, for values it accepts): the serialized snapshot writes only
 * the patterns that are not this (src/compile/ir.ts RouteColumnsIR.pattern).
 */
export function routePattern(kind: PathMatchIR['kind'], value: string, foldCase: boolean): string | undefined {
  const v = foldCase ? value.toLowerCase() : value
  if (kind === 'prefix') return `${v}*`
  if (kind === 'path') return v
  if (kind === 'path_separated_prefix') return `${v}/*`
  return undefined
}

/** A route's path specifier. */
export class PathMatcher implements PathPredicate {
  readonly kind: PathMatchIR['kind']
  readonly value: string
  readonly caseSensitive: boolean
  readonly honoFoldCase: boolean
  /** The value to compare with: lowercased for a case-insensitive route. */
  private readonly want: string
  private readonly regex: Re2Regex | undefined
  private readonly ignoreParameters: boolean
  /** The Hono pattern: 0 derived from kind and value when asked for (only the route index asks, once), null none. */
  private readonly pattern: string | 0 | null

  constructor(kind: PathMatchIR['kind'], value: string, caseSensitive: boolean, foldCase: boolean, pattern: string | 0 | null, regex: Re2Regex | undefined, ignorePathParameters: boolean) {
    this.ignoreParameters = ignorePathParameters
    this.kind = kind
    this.value = value
    this.caseSensitive = caseSensitive
    this.honoFoldCase = foldCase
    this.pattern = pattern
    this.want = caseSensitive ? value : value.toLowerCase()
    this.regex = regex
  }

  /** Frozen (a subclass freezes itself once its own fields are set: src/snapshot/route.ts). */
  static of(p: PathMatchIR, ignorePathParameters = false): PathPredicate {
    return Object.freeze(new PathMatcher(p.kind, p.value, p.caseSensitive !== false, p.honoFoldCase === true, p.honoPattern ?? null, p.regex ? regexOf(p.regex) : undefined, ignorePathParameters))
  }

  get honoPattern(): string | undefined {
    const p = this.pattern
    return p === 0 ? routePattern(this.kind, this.value, this.honoFoldCase) : p ?? undefined
  }

  test(rawPath: string): boolean {
    const want = this.want
    const path = this.ignoreParameters ? withoutPathParameters(rawPath) : rawPath
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

export const linkPathMatch = (p: PathMatchIR): PathPredicate => PathMatcher.of(p)

/**
 * `ignore_path_parameters_in_path_matching`: Envoy's
 * RouteEntryImplBase::sanitizePathBeforePathMatching keeps `:path` up to its
 * first `;` (RFC 1808's `<path>;<params>`), so `/a;v=1` is matched as `/a`
 * — and `/a;v=1/b` as `/a` too: everything after the first `;` is dropped.
 */
export function withoutPathParameters(path: string): string {
  const i = path.indexOf(';')
  return i < 0 ? path : path.slice(0, i)
}

const NONE: readonly never[] = Object.freeze([])

/** A route match's matchers besides its path: linked once, shared by every route whose match has the same (the serialized snapshot writes each distinct one once). */
export interface MatchExtras {
  readonly headers: readonly HeaderPredicate[]
  readonly queryParameters: readonly QueryPredicate[]
  readonly cookies: readonly CookiePredicate[]
  readonly runtimeFraction: Fraction | undefined
}

export const NO_MATCH_EXTRAS: MatchExtras = Object.freeze({ headers: NONE, queryParameters: NONE, cookies: NONE, runtimeFraction: undefined })

export function linkMatchExtras(m: RouteMatchExtrasIR): MatchExtras {
  return Object.freeze({
    headers: m.headers ? Object.freeze(m.headers.map(linkHeaderMatcher)) : NONE,
    queryParameters: m.queryParameters ? Object.freeze(m.queryParameters.map(linkQueryMatcher)) : NONE,
    cookies: m.cookies ? Object.freeze(m.cookies.map(linkCookieMatcher)) : NONE,
    runtimeFraction: m.runtimeFraction ? Object.freeze(m.runtimeFraction) : undefined,
  })
}

/** Frozen as it is built: a snapshot's deepFreeze stops here. */
export function routeMatchOf(path: PathPredicate, x: MatchExtras): RouteMatch {
  const f = x.runtimeFraction
  return Object.freeze(
    f === undefined ? { path, headers: x.headers, queryParameters: x.queryParameters, cookies: x.cookies } : { path, headers: x.headers, queryParameters: x.queryParameters, cookies: x.cookies, runtimeFraction: f },
  )
}

/** A route match from its IR (the JWT filter's rules; routes are linked from the serialized columns). */
export function linkRouteMatch(m: RouteMatchIR, options: { ignorePathParameters?: boolean } = {}): RouteMatch {
  return routeMatchOf(PathMatcher.of(m.path, options.ignorePathParameters === true), linkMatchExtras(m))
}

/**
 * Whether a request satisfies a route match, in Envoy's order
 * (RouteEntryImplBase::matchRoute, then the path): path, headers, query
 * parameters (parsed by `query` at most once, and only when needed), cookies.
 */
export function routeMatchHolds(m: RouteMatch, request: MatchRequest, query: { params(): QueryParams; random?(request: MatchRequest): number }): boolean {
  if (!m.path.test(request.path)) return false
  for (const h of m.headers) if (!h.test(request)) return false
  if (m.queryParameters.length > 0) {
    const q = query.params()
    for (const p of m.queryParameters) if (!p.test(q)) return false
  }
  if (m.cookies) for (const c of m.cookies) if (!c.test(request)) return false
  // Envoy's ProtobufPercentHelper::evaluateFractionalPercent: random % denominator < numerator.
  if (m.runtimeFraction !== undefined) {
    const f = m.runtimeFraction
    const draw = query.random ? query.random(request) : (request.random ?? Math.random)()
    if (Math.floor(draw * f.denominator) >= f.numerator) return false
  }
  return true
}
