/**
 * Route selection within a virtual host. Hono's router narrows the candidates
 * by path (a superset of the routes that can match); Envoy's predicates then
 * decide in config order, so the answer is always the first route that
 * matches — Envoy's rule — while most routes are never looked at.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#route-table
 */
import type { Router } from 'hono/router'
import { TrieRouter } from 'hono/router/trie-router'
import type { MatchRequest, QueryParams, Route, VirtualHost } from '../compile/types.js'
import { RawQuery, routeMatchHolds } from '../snapshot/matchers.js'

export interface RouteIndex {
  /**
   * The first route whose predicates all hold, in config order. `pathname`
   * narrows the candidates: it is the path the routes' path specifiers see
   * (without its `;` parameters under ignore_path_parameters_in_path_matching).
   */
  select(request: MatchRequest, pathname: string, query: QueryParams | undefined): Route | undefined
}

/** Does this route match? The predicate order follows Envoy's RouteEntryImplBase::matchRoute. */
export function routeMatches(route: Route, request: MatchRequest, query: () => QueryParams): boolean {
  return routeMatchHolds(route.match, request, { params: query })
}

/**
 * The request's query parameters, parsed at most once and only if a route
 * with query matchers is tested — raw, as Envoy's router reads them. A class,
 * not a closure: bundlers that keep function names (wrangler does) pay a
 * defineProperty per closure created.
 */
class LazyQuery {
  constructor(
    private readonly path: string,
    private parsed: QueryParams | undefined,
  ) {}
  params(): QueryParams {
    return (this.parsed ??= new RawQuery(this.path))
  }
}

function matches(route: Route, request: MatchRequest, query: LazyQuery): boolean {
  return routeMatchHolds(route.match, request, query)
}

/** Below this many routes a scan is as fast as any index. */
const INDEX_THRESHOLD = 8

type Found = readonly (readonly [number, unknown])[]

/**
 * Hono's TrieRouter narrows: it builds in milliseconds and matches in about a
 * microsecond whatever the route count (RegExpRouter, SmartRouter's pick,
 * takes seconds to build one alternation of thousands of routes).
 * Case-insensitive routes sit in a second router fed the lowercased path.
 * Prefixes that end mid-segment (`/v2/svc6` also matches `/v2/svc67`) would be
 * partial-segment nodes that TrieRouter tries one by one, so they go to a
 * table keyed by the prefix itself, probed once per distinct prefix length.
 * Candidates are tested in config order; the first match ends the work.
 */
export function buildRouteIndex(vhost: VirtualHost, options: { threshold?: number } = {}): RouteIndex {
  const routes = vhost.routes
  if (routes.length <= (options.threshold ?? INDEX_THRESHOLD)) return linearIndex(routes)
  const exact: Router<number> = new TrieRouter()
  const folded: Router<number> = new TrieRouter()
  let hasFolded = false
  const partial = new Map<string, number[]>()
  const alwaysList: number[] = []
  for (const r of routes) {
    const { honoPattern, honoFoldCase, kind, value } = r.match.path
    if (honoPattern === undefined) alwaysList.push(r.index)
    else if (honoFoldCase) {
      folded.add('ALL', honoPattern, r.index)
      hasFolded = true
    } else if (kind === 'prefix' && !value.endsWith('/')) {
      const list = partial.get(value)
      if (list) list.push(r.index)
      else partial.set(value, [r.index])
    } else exact.add('ALL', honoPattern, r.index)
  }
  const partialLengths = Int32Array.from(new Set([...partial.keys()].map((k) => k.length))).sort()
  const always = Int32Array.from(alwaysList)
  return {
    select(request, pathname, query) {
      const cand: number[] = []
      let sorted = collect(cand, exact.match('GET', pathname)[0] as Found)
      if (hasFolded) {
        const before = cand.length
        const ok = collect(cand, folded.match('GET', pathname.toLowerCase())[0] as Found)
        if (cand.length > before) sorted = before === 0 && ok
      }
      for (let l = 0; l < partialLengths.length && partialLengths[l]! <= pathname.length; l++) {
        const hit = partial.get(pathname.slice(0, partialLengths[l]))
        if (hit) {
          // Each list is ascending; it stays so only if nothing came before it.
          sorted = cand.length === 0
          for (const i of hit) cand.push(i)
        }
      }
      // Only the few narrowed candidates are ever sorted; `always` is sorted once, at build.
      if (!sorted) cand.sort(ascending)
      const q = new LazyQuery(request.path, query)
      let i = 0, k = 0, last = -1
      for (;;) {
        const fromCand = i < cand.length && (k >= always.length || cand[i]! <= always[k]!)
        if (!fromCand && k >= always.length) return undefined
        const next = fromCand ? cand[i++]! : always[k++]!
        if (next === last) continue
        last = next
        const r = routes[next]!
        if (matches(r, request, q)) return r
      }
    },
  }
}

const ascending = (x: number, y: number) => x - y

/** Append Hono's answers to `into`; true when they came in ascending order (TrieRouter sorts by insertion — check, never trust). */
function collect(into: number[], found: Found): boolean {
  let ordered = true
  for (let i = 0; i < found.length; i++) {
    const n = found[i]![0]
    if (i > 0 && n < found[i - 1]![0]) ordered = false
    into.push(n)
  }
  return ordered
}

/** A plain first-match scan: Envoy's own algorithm, and the reference the index is tested against. */
export function linearIndex(routes: readonly Route[]): RouteIndex {
  return {
    select(request, _pathname, query) {
      const q = new LazyQuery(request.path, query)
      for (const r of routes) if (matches(r, request, q)) return r
      return undefined
    },
  }
}
