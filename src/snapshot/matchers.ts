/**
 * Matchers as data → predicates: a route's path match, what a route's other
 * matchers share, and the route-match test. The semantics are Envoy's; the
 * compiler (src/compile/match.ts) decided everything that can be decided
 * before a request arrives.
 *
 * Header, query-parameter, cookie and string matchers (and CORS policies)
 * are linked by match-linkers.ts, a chunk of its own: only a snapshot that
 * has one imports it (`loadMatchLinkers`, through snapshot/load.ts
 * `readySnapshot`); the compiler, which links in memory, installs it.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routematch
 */
import type { PathMatchIR, RouteMatchExtrasIR } from '../compile/ir.js'
import type { CookiePredicate, Fraction, HeaderPredicate, MatchRequest, PathPredicate, QueryParams, QueryPredicate, RouteMatch } from '../compile/types.js'
import { lazyModule } from '../lazy-module.js'
import type { Re2Regex } from '../regex/index.js'
import { regexOf } from './regex.js'

type MatchLinkers = typeof import('./match-linkers.js')

const MATCH_LINKERS = lazyModule<MatchLinkers>(() => import('./match-linkers.js'))

/**
 * Whether serialized snapshot text needs match-linkers.ts: a header,
 * query-parameter or cookie matcher (each IR carries a `describe`, and only
 * they do) or a CORS policy (`allowOrigin`). As JSON structure only: inside a
 * JSON string the quotes would be escaped; a false positive only imports the chunk.
 */
export const needsMatchLinkers = (text: string): boolean => text.includes('"describe":') || text.includes('"allowOrigin":')

/** Import match-linkers.ts (once per isolate; a failed import is tried again by the next call). */
export const loadMatchLinkers = async (): Promise<void> => void (await MATCH_LINKERS.load())

/** For the compiler, which imports match-linkers.ts statically and links in memory. */
export const installMatchLinkers = (m: MatchLinkers): void => MATCH_LINKERS.install(m)

/** The header, query-parameter, cookie and string matcher linkers; throws before they are loaded. */
export const matchLinkers = (): MatchLinkers =>
  MATCH_LINKERS.expect('edgevoy: the header/query/cookie matcher linkers are not loaded: await loadMatchLinkers() before linking a snapshot that has such matchers or a CORS policy')

export const stripQuery = (path: string) => {
  const q = path.indexOf('?')
  return q < 0 ? path : path.slice(0, q)
}

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

  /** The Hono pattern is routePattern's for this kind and value: the route index files the value without building it. */
  get derivedPattern(): boolean {
    return this.pattern === 0
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

/** A route match's header, query-parameter and cookie matchers (match-linkers.ts) and runtime fraction. */
export function linkMatchExtras(m: RouteMatchExtrasIR): MatchExtras {
  const linkers = m.headers?.length || m.queryParameters?.length || m.cookies?.length ? matchLinkers() : undefined
  return Object.freeze({
    headers: m.headers?.length ? Object.freeze(m.headers.map(linkers!.linkHeaderMatcher)) : NONE,
    queryParameters: m.queryParameters?.length ? Object.freeze(m.queryParameters.map(linkers!.linkQueryMatcher)) : NONE,
    cookies: m.cookies?.length ? Object.freeze(m.cookies.map(linkers!.linkCookieMatcher)) : NONE,
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
