/**
 * The router filter: carries out the chosen route's action — a direct
 * response, a redirect, or forwarding to a cluster's host.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter
 */
import type { Context } from 'hono'
import type { Cluster, ForwardAction, HeaderMutation, Route, WeightedCluster } from '../compile/types.js'
import { ProxyError } from '../errors.js'
import { forward } from '../upstream/forward.js'
import { prepareUpstreamHeaders } from '../upstream/proxy-headers.js'
import type { ProxyEnv, RouterDeps } from './app.js'
import { applyHeaderLevels, type HeaderValueContext } from './headers.js'
import { redirectLocation, rewritePath } from './rewrite.js'

export async function runAction(c: Context<ProxyEnv>, deps: RouterDeps): Promise<Response> {
  const decision = c.get('decision')
  const route = decision.route!
  const vhost = decision.virtualHost!
  const table = c.get('listener').routeTable
  const request = c.req.raw
  const valueCtx: HeaderValueContext = { request, clientIp: request.headers.get('cf-connecting-ip') ?? undefined, startTime: deps.now() }
  const responseLevels = (extra?: HeaderMutation) => [...(extra ? [extra] : []), route.responseHeaders, vhost.responseHeaders, table.responseHeaders]
  const action = route.action

  if (action.type === 'direct_response') {
    const headers = new Headers(action.body ? { 'content-type': 'text/plain' } : {})
    applyHeaderLevels(headers, responseLevels(), valueCtx)
    return new Response(action.body ?? null, { status: action.status, headers })
  }
  if (action.type === 'redirect') {
    const headers = new Headers({ location: redirectLocation(route, action, decision.match) })
    applyHeaderLevels(headers, responseLevels(), valueCtx)
    return new Response(null, { status: action.responseCode, headers })
  }

  const { cluster, weighted } = pickCluster(c, action, deps)
  c.set('upstreamCluster', cluster.name)
  const host = deps.clusters.chooseHost(cluster, { request })
  if (!host) throw new ProxyError('no_healthy_upstream')
  c.set('upstreamHost', host.address)

  const path = rewritePath(route, action.pathRewrite, decision.match.path)
  const headers = prepareUpstreamHeaders(request, {
    originalAuthority: decision.match.authority,
    authority: weighted?.hostRewrite ?? action.hostRewrite ?? decision.match.authority,
    scheme: decision.match.scheme === 'https' ? 'https' : 'http',
    ...(path !== decision.match.path ? { originalPath: decision.match.path } : {}),
    timeoutMs: action.timeoutMs,
  })
  const hostCtx = { ...valueCtx, upstreamHost: host.address }
  applyHeaderLevels(headers, [...(weighted ? [weighted.requestHeaders] : []), route.requestHeaders, vhost.requestHeaders, table.requestHeaders], hostCtx)

  const response = await forward(
    { request, host, cluster, path, headers, timeoutMs: action.timeoutMs, signal: request.signal },
    { fetch: deps.fetch, bindings: deps.bindings, now: deps.now },
  )
  applyHeaderLevels(response.headers, responseLevels(weighted?.responseHeaders), hostCtx)
  return response
}

/** The cluster a forward action names, directly, by header, or by weight. */
function pickCluster(c: Context<ProxyEnv>, action: ForwardAction, deps: RouterDeps): { cluster: Cluster; weighted?: WeightedCluster } {
  const clusters = c.get('snapshot').clusters
  const target = action.target
  const notFound = () => {
    // cluster_not_found_response_code, default SERVICE_UNAVAILABLE.
    const code = action.extensions.cluster_not_found_response_code
    const status = code === 'NOT_FOUND' ? 404 : code === 'INTERNAL_SERVER_ERROR' ? 500 : 503
    return new ProxyError('unknown_cluster', { status })
  }
  if (target.kind === 'cluster') {
    const cluster = clusters.get(target.name)
    if (!cluster) throw notFound()
    return { cluster }
  }
  if (target.kind === 'cluster_header') {
    const name = c.req.raw.headers.get(target.header)
    const cluster = name ? clusters.get(name) : undefined
    if (!cluster) throw notFound()
    return { cluster }
  }
  // Traffic shifting: a uniform pick over the summed weights.
  let pick = Math.floor(deps.random() * target.totalWeight)
  for (const w of target.clusters) {
    if (pick < w.weight) {
      const cluster = clusters.get(w.name)
      if (!cluster) throw notFound()
      return { cluster, weighted: w }
    }
    pick -= w.weight
  }
  throw notFound()
}
