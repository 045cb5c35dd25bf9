/**
 * The router filter: carries out the chosen route's action — a direct
 * response, a redirect, or forwarding to a cluster's host.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter
 */
import type { Context } from 'hono'
import type { HeaderMutation, Host } from '../compile/types.js'
import type { HealthLink } from '../upstream/cluster-manager.js'
import { computeHash } from '../upstream/lb/index.js'
import { namespaceResolver, type DurableObjectNamespaceLike } from '../upstream/health/authority.js'
import type { D1Like } from '../upstream/health/hub-row.js'
import { effectiveRetryPolicy, effectiveTimeouts } from '../upstream/retry.js'
import { sendWithRetries } from '../upstream/send.js'
import { streamLimits } from '../upstream/stream-limits.js'
import { mirroring } from '../upstream/on-demand.js'
import { requestHeaderValue } from '../upstream/headers.js'
import { prepareUpstreamHeaders, rewriteAuthority } from '../upstream/proxy-headers.js'
import type { ProxyEnv } from '../context.js'
import type { HeaderValueContext } from '../compile/types.js'
import type { RouterDeps } from './app.js'
import { applyHeaderLevels, headerLevels } from './headers.js'
import { pickCluster } from './pick-cluster.js'
import { redirectLocation, rewritePath, routeHostRewrite } from './rewrite.js'

export interface ActionOptions {
  /** The request's hop-by-hop headers are gone and no filter ran that could add one (router/app.ts knows its chain). */
  readonly hopByHopRemoved?: boolean
  /** Nothing on this listener observes how a response body ends (observability/observe.ts `observesBodyEnd`): bodies may pass through untouched. */
  readonly passThroughBody?: boolean
}

export async function runAction(c: Context<ProxyEnv>, deps: RouterDeps, options: ActionOptions = {}): Promise<Response> {
  const decision = c.get('decision')
  const route = decision.route!
  const vhost = decision.virtualHost!
  const table = c.get('listener').routeTable
  const request = c.req.raw
  const valueCtx: HeaderValueContext = { request, clientIp: c.get('downstream').remoteAddress, startTime: deps.now() }
  const responseLevels = (extra?: HeaderMutation) => headerLevels(extra, route.responseHeaders, vhost.responseHeaders, table.responseHeaders, table.mostSpecificHeaderMutationsWins)
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

  // The hash first: weighted_clusters with use_hash_policy pick by it.
  const hashed = computeHash(action.hashPolicy, request, deps.random)
  const { cluster, weighted } = pickCluster(action, request, c.get('snapshot').clusters, deps.random, hashed.hash)
  c.set('upstreamCluster', cluster.name)
  const path = rewritePath(route, action.pathRewrite, decision.match.path)
  // x-envoy-* control headers reach here only from internal callers: the
  // connection manager stage removed them from every other request.
  const trusted = c.get('downstream').internal
  const retry = effectiveRetryPolicy(action.retryPolicy, request, trusted)
  const timeouts = effectiveTimeouts(action.timeoutMs, retry, request, trusted)
  const health = healthLink(c)
  deps.clusters.watchHealth(cluster, health)
  let hostCtx: HeaderValueContext = valueCtx
  const headersFor = (host: Host) => {
    const headers = prepareUpstreamHeaders(request, {
      originalAuthority: decision.match.authority,
      authority: decision.match.authority,
      ...(path !== decision.match.path ? { originalPath: decision.match.path } : {}),
      timeoutMs: timeouts.routeTimeoutMs,
      hopByHopRemoved: options.hopByHopRemoved,
    })
    hostCtx = { ...valueCtx, upstreamHost: host.address }
    applyHeaderLevels(headers, headerLevels(weighted?.requestHeaders, route.requestHeaders, vhost.requestHeaders, table.requestHeaders, table.mostSpecificHeaderMutationsWins), hostCtx)
    // Host rewrites come after the header mutations, which a host_rewrite_header
    // may read: the weighted cluster's literal, then the route's (Envoy's
    // WeightedClusterEntry and RouteEntryImplBase::finalizeRequestHeaders).
    if (weighted?.hostRewrite) rewriteAuthority(headers, weighted.hostRewrite, false)
    const rewritten = routeHostRewrite(action, (name) => (name.startsWith(':') ? requestHeaderValue(request, name) : headers.get(name)), decision.match.path)
    if (rewritten) rewriteAuthority(headers, rewritten, true)
    return headers
  }

  const limits = streamLimits(c.get('listener'), action, request.headers, valueCtx.startTime)
  const bufferLimitBytes = action.bufferLimitBytes
  // Shadows first: a mirrored body is teed, and the primary sends its half.
  const primary = action.mirrors.length === 0 ? request : mirroring().startMirrors(action.mirrors, { request, path, headersFor, timeoutMs: timeouts.routeTimeoutMs, bufferLimitBytes }, {
    fetch: deps.fetch, bindings: deps.bindings, now: deps.now, random: deps.random, clusters: deps.clusters,
    clusterNamed: (name) => c.get('snapshot').clusters.get(name),
    waitUntil: (p) => backgroundTask(c, p),
  })
  const response = await sendWithRetries(
    {
      request: primary, cluster, path, headersFor, retry,
      streamIdleTimeoutMs: limits.idleMs,
      requestDeadline: limits.requestDeadline,
      streamDeadline: limits.streamDeadline,
      onBodyDone: (done) => c.set('bodyDone', done),
      passThroughBody: options.passThroughBody ? (hold) => backgroundTask(c, hold) : undefined,
      routeTimeoutMs: timeouts.routeTimeoutMs,
      perTryTimeoutMs: timeouts.perTryTimeoutMs,
      bufferLimitBytes: action.bufferLimitBytes,
      signal: request.signal,
      hash: hashed.hash,
      onHost: (host) => c.set('upstreamHost', host.address),
    },
    { fetch: deps.fetch, bindings: deps.bindings, now: deps.now, random: deps.random, sleep, clusters: deps.clusters, health },
  )
  applyHeaderLevels(response.headers, responseLevels(weighted?.responseHeaders), hostCtx)
  // A sticky-session cookie the hash policy made up (cookie policy with ttl).
  if (hashed.setCookie) response.headers.append('set-cookie', hashed.setCookie)
  return response
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Work that may outlive the response (the Worker's waitUntil; tests without a ctx just let it run). */
function backgroundTask(c: Context<ProxyEnv>, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p)
  } catch {
    void p
  }
}

/** The HEALTH Durable Object binding and this request's waitUntil, when the Worker has them. */
function healthLink(c: Context<ProxyEnv>): HealthLink | undefined {
  const bound = c.env as { HEALTH?: DurableObjectNamespaceLike; EDGEVOY_DB?: D1Like } | undefined
  const ns = bound?.HEALTH
  if (!ns) return undefined
  let waitUntil: (p: Promise<unknown>) => void
  try {
    const ctx = c.executionCtx
    waitUntil = (p) => ctx.waitUntil(p)
  } catch {
    return undefined
  }
  // With a D1 binding the hub's digest is read from its row first (upstream/health/hub-row.ts).
  return { resolve: namespaceResolver(ns, bound.EDGEVOY_DB), waitUntil }
}
