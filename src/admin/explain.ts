/**
 * `GET /route?authority=&path=&method=&header.NAME=V` — the routing decision
 * for a request that is never sent: which virtual host and route match, what
 * the route does, and for every route tried before it which predicate failed.
 * It reads the request through the router's own matchRequestOf and decides
 * with the same routeMatches, so it names the route the request would take
 * (first match in config order — Envoy's rule).
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#route-table
 */
import type { Listener, MatchRequest, QueryParams, Route, RouteAction } from '../compile/types.js'
import { RawQuery } from '../snapshot/match-linkers.js'
import { matchRequestOf } from '../router/decide.js'
import { routeMatches } from '../router/route-index.js'
import { AdminError } from './errors.js'
import type { RouteQueryInput } from './schemas.js'
import type { z } from 'zod'
import type { RouteExplanation } from './schemas.js'

type Explanation = z.input<typeof RouteExplanation>

export function explainRoute(listener: Listener, configVersion: string, query: RouteQueryInput, headers: Record<string, string>): Explanation {
  let request: Request
  try {
    request = new Request(`${query.scheme}://${query.authority}${query.path}`, { method: query.method, headers: { ...headers, host: query.authority } })
  } catch (e) {
    throw new AdminError(400, 'invalid_request', `not a request edgevoy could receive: ${e instanceof Error ? e.message : String(e)}`)
  }
  const { match } = matchRequestOf(request)
  const base = { config_version: configVersion, listener: listener.name, request: { authority: match.authority, path: match.path, method: match.method, headers } }
  const vh = listener.routeTable.findVirtualHost(match.authority)
  if (!vh) {
    const domains = listener.routeTable.virtualHosts.map((v) => `${v.name} [${v.domains.join(', ')}]`).join('; ')
    return { ...base, virtual_host: null, route: null, result: `404 no route (NR): no virtual host's domains match "${match.authority}" (have: ${domains || 'none'})`, tried: [] }
  }
  // The router's own query parsing: raw values, as Envoy matches them.
  let query$: QueryParams | undefined
  const params = () => (query$ ??= new RawQuery(match.path))
  const tried: Explanation['tried'] = []
  for (const route of vh.routes) {
    if (routeMatches(route, match, params)) {
      return { ...base, virtual_host: vh.name, route: { name: route.name, index: route.index, action: describeAction(route.action) }, result: resultOf(route.action), tried }
    }
    const predicates = predicatesOf(route, match, params)
    tried.push({ name: route.name, index: route.index, failed: predicates.filter((p) => !p.matched).map((p) => p.predicate), predicates })
  }
  return { ...base, virtual_host: vh.name, route: null, result: `404 no route (NR): no route of virtual host "${vh.name}" matches`, tried }
}

/** Each predicate of a route on its own, in Envoy's evaluation order (path, headers, query parameters). */
function predicatesOf(route: Route, request: MatchRequest, params: () => QueryParams): { predicate: string; matched: boolean }[] {
  const p = route.match.path
  const out = [{ predicate: `${p.kind} ${JSON.stringify(p.value)}${p.caseSensitive ? '' : ' (case-insensitive)'}`, matched: p.test(request.path) }]
  for (const h of route.match.headers) out.push({ predicate: h.describe, matched: h.test(request) })
  for (const q of route.match.queryParameters) out.push({ predicate: q.describe, matched: q.test(params()) })
  for (const c of route.match.cookies ?? []) out.push({ predicate: c.describe, matched: c.test(request) })
  return out
}

function describeAction(action: RouteAction): Record<string, unknown> {
  if (action.type === 'redirect') return { type: 'redirect', response_code: action.responseCode, scheme: action.scheme, host: action.host, path: action.path }
  if (action.type === 'direct_response') return { type: 'direct_response', status: action.status }
  const t = action.target
  const target =
    t.kind === 'cluster' ? { cluster: t.name } : t.kind === 'cluster_header' ? { cluster_header: t.header } : { weighted_clusters: t.clusters.map((w) => (w.clusterHeader !== undefined ? { cluster_header: w.clusterHeader, weight: w.weight } : { name: w.name, weight: w.weight })) }
  return {
    type: 'route',
    ...target,
    ...(action.pathRewrite?.kind === 'prefix' ? { prefix_rewrite: action.pathRewrite.prefix } : {}),
    ...(action.hostRewrite ? { host_rewrite_literal: action.hostRewrite } : {}),
    ...(action.hostRewriteHeader !== undefined ? { host_rewrite_header: action.hostRewriteHeader } : {}),
    ...(action.hostRewritePathRegex ? { host_rewrite_path_regex: action.hostRewritePathRegex.pattern.source } : {}),
    timeout_ms: action.timeoutMs,
  }
}

function resultOf(action: RouteAction): string {
  if (action.type === 'redirect') return `${action.responseCode} redirect`
  if (action.type === 'direct_response') return `${action.status} direct response`
  const t = action.target
  if (t.kind === 'cluster') return `forwarded to cluster "${t.name}"`
  if (t.kind === 'cluster_header') return `forwarded to the cluster named by header "${t.header}"`
  return `forwarded to one of ${t.clusters.map((w) => `${w.clusterHeader !== undefined ? `the cluster named by header "${w.clusterHeader}"` : `"${w.name}"`} (weight ${w.weight})`).join(', ')}`
}
