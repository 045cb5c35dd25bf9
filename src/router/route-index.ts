/**
 * Route selection within a virtual host. Hono's router narrows the candidates
 * by path (a superset of the routes that can match); Envoy's predicates then
 * decide in config order, so the answer is always the first route that
 * matches — Envoy's rule — while most routes are never looked at.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#route-table
 */
import type { Listener, MatchRequest, QueryParams, Route, VirtualHost } from '../compile/types.js'
import { lazyModule } from '../lazy-module.js'
import { matchLinkers, routeMatchHolds } from '../snapshot/matchers.js'

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
 * with query matchers is tested — raw, as Envoy's router reads them — likewise
 * its runtime_fraction random value (the parser is the matcher linkers': a
 * route has query matchers only once they are loaded). A class, not a closure: bundlers that keep
 * function names (wrangler does) pay a defineProperty per closure created.
 */
export class LazyQuery {
  #random: number | undefined
  constructor(
    private readonly path: string,
    private parsed: QueryParams | undefined,
  ) {}
  params(): QueryParams {
    return (this.parsed ??= new (matchLinkers().RawQuery)(this.path))
  }
  /** The request's one random value, drawn when the first runtime_fraction route is tested. */
  random(request: MatchRequest): number {
    return (this.#random ??= (request.random ?? Math.random)())
  }
}

/** Does `route` take the request (the scan's and the index's test of one candidate)? */
export function matches(route: Route, request: MatchRequest, query: LazyQuery): boolean {
  return routeMatchHolds(route.match, request, query)
}

/** Below this many routes a scan is as fast as any index. */
export const INDEX_THRESHOLD = 8

// One literal import(), so the bundler gives the index its own chunk (src/lazy-module.ts).
const INDEXED = lazyModule(() => import('./indexed-routes.js'))

/**
 * Does this listener have a virtual host with more routes than a scan serves
 * well? Then its app needs the index's module, which the entry does not carry:
 * most snapshots' virtual hosts have a few routes, and the index (with Hono's
 * TrieRouter for case-insensitive patterns) is ~4 KB of what every new isolate
 * would otherwise compile before its first request.
 */
export const needsRouteIndex = (listener: Listener): boolean => listener.routeTable.virtualHosts.some((vh) => vh.routes.length > INDEX_THRESHOLD)

/** Import the index's module (once per isolate): where a snapshot that needs it is made ready to serve (state/serving.ts). */
export const loadRouteIndex = async (): Promise<void> => void (await INDEXED.load())

/**
 * The virtual host's route selection: a scan for a few routes, else the
 * index (router/indexed-routes.ts), which must be loaded (`loadRouteIndex`).
 */
export function buildRouteIndex(vhost: VirtualHost, options: { threshold?: number } = {}): RouteIndex {
  if (vhost.routes.length <= (options.threshold ?? INDEX_THRESHOLD)) return linearIndex(vhost.routes)
  return INDEXED.expect('edgevoy: the route index is not loaded: await loadRouteIndex() before building the app of a listener with more than 8 routes in a virtual host').indexedRoutes(vhost)
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
