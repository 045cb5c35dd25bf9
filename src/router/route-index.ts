/**
 * Route selection within a virtual host. Hono's router narrows the candidates
 * by path (a superset of the routes that can match); Envoy's predicates then
 * decide in config order, so the answer is always the first route that
 * matches — Envoy's rule — while most routes are never looked at.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#route-table
 */
import type { Router } from 'hono/router'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'
import type { MatchRequest, Route, VirtualHost } from '../compile/types.js'

export interface RouteIndex {
  /** The first route whose predicates all hold, in config order. */
  select(request: MatchRequest, pathname: string, query: URLSearchParams | undefined): Route | undefined
}

/** Does this route match? The predicate order follows Envoy's RouteEntryImplBase::matchRoute. */
export function routeMatches(route: Route, request: MatchRequest, query: () => URLSearchParams): boolean {
  const m = route.match
  if (!m.path.test(request.path)) return false
  for (const h of m.headers) if (!h.test(request)) return false
  if (m.queryParameters.length > 0) {
    const q = query()
    for (const p of m.queryParameters) if (!p.test(q)) return false
  }
  return true
}

/** Below this many routes a scan is as fast as any index. */
const INDEX_THRESHOLD = 8

export function buildRouteIndex(vhost: VirtualHost, options: { threshold?: number } = {}): RouteIndex {
  const routes = vhost.routes
  if (routes.length <= (options.threshold ?? INDEX_THRESHOLD)) return linearIndex(routes)
  const router: Router<number> = new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })
  const always: number[] = []
  for (const r of routes) {
    if (r.match.path.honoPattern === undefined) always.push(r.index)
    else router.add('ALL', r.match.path.honoPattern, r.index)
  }
  // Hono routers compile lazily; match once now so no request pays for it.
  router.match('GET', '/')
  return {
    select(request, pathname, query) {
      const [found] = router.match('GET', pathname)
      const candidates = mergeSorted(found as [number, unknown][], always)
      let params: URLSearchParams | undefined = query
      const q = () => (params ??= queryOf(request.path))
      for (const i of candidates) {
        const r = routes[i]!
        if (routeMatches(r, request, q)) return r
      }
      return undefined
    },
  }
}

/** A plain first-match scan: Envoy's own algorithm, and the reference the index is tested against. */
export function linearIndex(routes: readonly Route[]): RouteIndex {
  return {
    select(request, _pathname, query) {
      let params: URLSearchParams | undefined = query
      const q = () => (params ??= queryOf(request.path))
      for (const r of routes) if (routeMatches(r, request, q)) return r
      return undefined
    },
  }
}

/** The query string of `:path` as parameters (none when there is no `?`). */
function queryOf(path: string): URLSearchParams {
  const i = path.indexOf('?')
  return new URLSearchParams(i < 0 ? '' : path.slice(i + 1))
}

/** Hono's matches (unordered across routers) merged with the always-candidates, ascending, deduplicated. */
function mergeSorted(found: [number, unknown][], always: readonly number[]): number[] {
  const out: number[] = new Array(found.length)
  for (let i = 0; i < found.length; i++) out[i] = found[i]![0]
  if (always.length) out.push(...always)
  out.sort((a, b) => a - b)
  return out
}
