/**
 * Header, query-parameter and cookie matchers, string matchers and CORS
 * policies as data → predicates, once per snapshot, never per request. The
 * semantics are Envoy's; the compiler (src/compile/match.ts) decided
 * everything that can be decided before a request arrives.
 *
 * Only a snapshot with such a matcher needs this module (a chunk of its own,
 * like the filter config linkers): snapshot/load.ts `readySnapshot` imports
 * it before linking text that `needsMatchLinkers` (snapshot/matchers.ts) says
 * has one, and the compiler, which links in memory, installs it. What every
 * snapshot links — path matchers, the route-match test — stays in matchers.ts.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routematch
 */
import type { CookieMatcherIR, CorsPolicyIR, HeaderMatcherIR, QueryMatcherIR, RouteMatchIR, StringMatcherIR } from '../compile/ir.js'
import type { CookiePredicate, CorsPolicy, HeaderPredicate, MatchRequest, QueryParams, QueryPredicate, RouteMatch, StringMatch } from '../compile/types.js'
import { linkMatchExtras, PathMatcher, routeMatchOf } from './matchers.js'
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

/** A route match from its IR (the JWT filter's rules; routes are linked from the serialized columns). */
export function linkRouteMatch(m: RouteMatchIR, options: { ignorePathParameters?: boolean } = {}): RouteMatch {
  return routeMatchOf(PathMatcher.of(m.path, options.ignorePathParameters === true), linkMatchExtras(m))
}

export function linkCors(c: CorsPolicyIR): CorsPolicy {
  const matchers = c.allowOrigin.map(linkStringMatcher)
  const { allowOrigin: _, ...rest } = c
  return { ...rest, allowOrigin: (origin) => matchers.some((m) => m(origin) || m('*')) }
}
