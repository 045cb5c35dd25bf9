/**
 * The router filter: carries out the chosen route's action — a direct
 * response, a redirect, or forwarding to a cluster's host.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter
 *
 * Compiled per route: `compileAction` reads the route once, when its
 * listener's app first needs it, and returns the handler that runs only the
 * steps the route asks for. What no request can change is worked out then — a
 * named cluster, header mutation levels with something in them (none: no
 * call at all), the retry policy and timeouts of a request no internal caller
 * sent, stream limits that do not depend on the request — with the same
 * functions a request calls when it can change them (Envoy builds its route
 * entries the same way: RouteEntryImplBase holds ready policies and the
 * router reads them; source/common/router/config_impl.cc).
 */
import type { Context } from 'hono'
import type { ForwardAction, HeaderMutation, Host, Listener, Route, Snapshot, VirtualHost, WeightedCluster } from '../compile/types.js'
import type { HealthLink } from '../upstream/cluster-manager.js'
import { computeHash } from '../upstream/lb/index.js'
import { namespaceResolver, type DurableObjectNamespaceLike } from '../upstream/health/authority.js'
import type { D1Like } from '../upstream/health/hub-row.js'
import { effectiveRetryPolicy, effectiveTimeouts } from '../upstream/retry.js'
import { sendOnce, sendWithRetries, type SendDeps } from '../upstream/send.js'
import { streamLimits, streamLimitsFor } from '../upstream/stream-limits.js'
import { mirroring } from '../upstream/on-demand.js'
import { requestHeaderValue } from '../upstream/headers.js'
import { prepareUpstreamHeaders, rewriteAuthority, type UpstreamHeaderOptions } from '../upstream/proxy-headers.js'
import type { ProxyEnv } from '../context.js'
import type { HeaderValueContext } from '../compile/types.js'
import type { RouterDeps } from './app.js'
import { applyHeaderLevels, headerLevels, levelsWithWork } from './headers.js'
import { fixedPick, pickCluster } from './pick-cluster.js'
import { redirectLocation, rewritePath, rewritesHost, routeHostRewrite } from './rewrite.js'

export interface ActionOptions {
  /** The request's hop-by-hop headers are gone and no filter ran that could add one (router/app.ts knows its chain). */
  readonly hopByHopRemoved?: boolean
  /** Nothing on this listener observes how a response body ends (observability/observe.ts `observesBodyEnd`): bodies may pass through untouched. */
  readonly passThroughBody?: boolean
  /**
   * For tests: work out every step per request, as if nothing were known
   * about the route when the app was built (test/workers/compiled-action.test.ts
   * holds the two to the same answers).
   */
  readonly general?: boolean
}

/** A route's action, ready to run. */
export type RouteHandler = (c: Context<ProxyEnv>) => Promise<Response>

/**
 * The handlers of a listener's routes, each compiled on its route's first
 * request and kept for the app's life (a 10k-route table does not compile
 * routes no request takes when the app is built).
 */
export function routeHandlers(snapshot: Snapshot, listener: Listener, deps: RouterDeps, options: ActionOptions): RouteHandler {
  const compiled = new Map<Route, RouteHandler>()
  return (c) => {
    const decision = c.get('decision')
    const route = decision.route!
    let run = compiled.get(route)
    if (run === undefined) compiled.set(route, (run = compileAction(route, decision.virtualHost!, listener, snapshot, deps, options)))
    return run(c)
  }
}

export function compileAction(route: Route, vhost: VirtualHost, listener: Listener, snapshot: Snapshot, deps: RouterDeps, options: ActionOptions): RouteHandler {
  const action = route.action
  if (action.type === 'route') return compileForward(route, action, vhost, listener, snapshot, deps, options)
  const table = listener.routeTable
  const levels = headerLevels(undefined, route.responseHeaders, vhost.responseHeaders, table.responseHeaders, table.mostSpecificHeaderMutationsWins)
  if (action.type === 'direct_response') {
    return async (c) => {
      const headers = new Headers(action.body ? { 'content-type': 'text/plain' } : {})
      applyHeaderLevels(headers, levels, valueContext(c, deps))
      return new Response(action.body ?? null, { status: action.status, headers })
    }
  }
  return async (c) => {
    const headers = new Headers({ location: redirectLocation(route, action, c.get('decision').match) })
    applyHeaderLevels(headers, levels, valueContext(c, deps))
    return new Response(null, { status: action.responseCode, headers })
  }
}

function compileForward(route: Route, action: ForwardAction, vhost: VirtualHost, listener: Listener, snapshot: Snapshot, deps: RouterDeps, options: ActionOptions): RouteHandler {
  const general = options.general === true
  const table = listener.routeTable
  const specificWins = table.mostSpecificHeaderMutationsWins
  const requestLevels = (weighted: WeightedCluster | undefined) => headerLevels(weighted?.requestHeaders, route.requestHeaders, vhost.requestHeaders, table.requestHeaders, specificWins)
  const responseLevels = (weighted: WeightedCluster | undefined) => headerLevels(weighted?.responseHeaders, route.responseHeaders, vhost.responseHeaders, table.responseHeaders, specificWins)
  // Known now unless general; undefined: each request works it out.
  const picked = general ? undefined : fixedPick(action, snapshot.clusters)
  const unweighted = !general && action.target.kind !== 'weighted'
  const fixedRequestLevels = unweighted ? levelsWithWork(requestLevels(undefined)) : undefined
  const fixedResponseLevels = unweighted ? levelsWithWork(responseLevels(undefined)) : undefined
  const hashes = general || action.hashPolicy.length > 0
  const rewritesPath = general || action.pathRewrite !== undefined
  const hostRewrite = general || rewritesHost(action)
  // x-envoy-* control headers reach the router only from internal callers (the
  // connection manager removed them from every other request): without one,
  // the route's own retry policy and timeouts are the answer.
  const externalRetry = effectiveRetryPolicy(action.retryPolicy, undefined)
  const externalTimeouts = effectiveTimeouts(action.timeoutMs, externalRetry, undefined)
  const limitsOf = general ? (headers: Headers, startedAt: number) => streamLimits(listener, action, headers, startedAt) : streamLimitsFor(listener, action)
  const sendDeps: SendDeps = { fetch: deps.fetch, bindings: deps.bindings, now: deps.now, random: deps.random, sleep, clusters: deps.clusters }

  return async (c) => {
    const decision = c.get('decision')
    const match = decision.match
    const request = c.req.raw
    const valueCtx = valueContext(c, deps)
    // The hash first: weighted_clusters with use_hash_policy pick by it.
    const hashed = hashes ? computeHash(action.hashPolicy, request, deps.random) : undefined
    const { cluster, weighted } = picked ?? pickCluster(action, request, snapshot.clusters, deps.random, hashed?.hash)
    c.set('upstreamCluster', cluster.name)
    const path = rewritesPath ? rewritePath(route, action.pathRewrite, match.path) : match.path
    const internal = c.get('downstream').internal ? request : undefined
    const retry = general || internal ? effectiveRetryPolicy(action.retryPolicy, internal) : externalRetry
    const timeouts = general || internal ? effectiveTimeouts(action.timeoutMs, retry, internal) : externalTimeouts
    const health = healthLink(c)
    deps.clusters.watchHealth(cluster, health)
    const headerOptions: UpstreamHeaderOptions = {
      originalAuthority: match.authority,
      authority: match.authority,
      ...(path !== match.path ? { originalPath: match.path } : {}),
      timeoutMs: timeouts.routeTimeoutMs,
      hopByHopRemoved: options.hopByHopRemoved,
    }
    const upstreamLevels = fixedRequestLevels ?? requestLevels(weighted)
    let lastHost: Host | undefined
    const headersFor = (host: Host) => {
      const headers = prepareUpstreamHeaders(request, headerOptions)
      lastHost = host
      if (upstreamLevels.length > 0) applyHeaderLevels(headers, upstreamLevels, hostContext(valueCtx, host))
      // Host rewrites come after the header mutations, which a host_rewrite_header
      // may read: the weighted cluster's literal, then the route's (Envoy's
      // WeightedClusterEntry and RouteEntryImplBase::finalizeRequestHeaders).
      if (weighted?.hostRewrite) rewriteAuthority(headers, weighted.hostRewrite, false)
      if (hostRewrite) {
        const rewritten = routeHostRewrite(action, (name) => (name.startsWith(':') ? requestHeaderValue(request, name) : headers.get(name)), match.path)
        if (rewritten) rewriteAuthority(headers, rewritten, true)
      }
      return headers
    }

    const limits = limitsOf(request.headers, valueCtx.startTime)
    // Shadows first: a mirrored body is teed, and the primary sends its half.
    const primary = action.mirrors.length === 0 ? request : mirroring().startMirrors(action.mirrors, { request, path, headersFor, timeoutMs: timeouts.routeTimeoutMs, bufferLimitBytes: action.bufferLimitBytes }, {
      fetch: deps.fetch, bindings: deps.bindings, now: deps.now, random: deps.random, clusters: deps.clusters,
      clusterNamed: (name) => snapshot.clusters.get(name),
      waitUntil: (p) => backgroundTask(c, p),
    })
    // Without a retry policy, one try (sendWithRetries would make the same one).
    const send = general || retry ? sendWithRetries : sendOnce
    const response = await send(
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
        hash: hashed?.hash,
        onHost: (host) => c.set('upstreamHost', host.address),
      },
      health ? { ...sendDeps, health } : sendDeps,
    )
    const downstreamLevels: readonly HeaderMutation[] = fixedResponseLevels ?? responseLevels(weighted)
    if (downstreamLevels.length > 0) applyHeaderLevels(response.headers, downstreamLevels, lastHost ? hostContext(valueCtx, lastHost) : valueCtx)
    // A sticky-session cookie the hash policy made up (cookie policy with ttl).
    if (hashed?.setCookie) response.headers.append('set-cookie', hashed.setCookie)
    return response
  }
}

/** What header values' command operators read (%DOWNSTREAM_REMOTE_ADDRESS%, %START_TIME%, %REQ()%). */
function valueContext(c: Context<ProxyEnv>, deps: RouterDeps): HeaderValueContext {
  return { request: c.req.raw, clientIp: c.get('downstream').remoteAddress, startTime: deps.now() }
}

/** The same, once an upstream host is chosen (%UPSTREAM_HOST%). */
const hostContext = (ctx: HeaderValueContext, host: Host): HeaderValueContext => ({ ...ctx, upstreamHost: host.address })

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
