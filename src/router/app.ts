/**
 * A Listener of a Snapshot → a Hono app. The app closes over the snapshot, so
 * every request reads exactly one config from start to end; a new snapshot
 * gets a new app.
 *
 * The pipeline is Envoy's: the route is resolved first (filters read it for
 * per-route config), then the `http_filters` in order, then the router filter
 * carries out the route's action.
 */
import type { Context } from 'hono'
import { HonoBase } from 'hono/hono-base'
import type { Listener, Snapshot } from '../compile/types.js'
import { ProxyError, isProxyError } from '../errors.js'
import { buildFilterChain } from '../filters/index.js'
import { listenerObserver, observesBodyEnd } from '../observability/observe.js'
import type { StatsStore } from '../observability/stats.js'
import type { ClusterManager } from '../upstream/cluster-manager.js'
import type { BodyOutcome } from '../upstream/body-guard.js'
import type { RetryHeaderTrust } from '../upstream/retry.js'
import type { ProxyEnv } from '../context.js'
import { decideRoute } from './decide.js'
import { EveryPathRouter } from './every-path-router.js'
import { prepareFor } from './downstream.js'
import { runAction } from './action.js'
import { buildRouteIndex, type RouteIndex } from './route-index.js'
import { refusesUpgrade } from './upgrade.js'

export interface RouterDeps {
  readonly fetch: typeof fetch
  readonly bindings: Readonly<Record<string, Fetcher | undefined>>
  readonly clusters: ClusterManager
  readonly random: () => number
  readonly now: () => number
  /** One line per request (dev mode). */
  readonly log?: ((line: string) => void) | undefined
  /**
   * Which downstream callers are internal (Envoy's internal_address_config,
   * for callers a deployment knows, e.g. a service binding): they keep
   * x-envoy-* control headers (retries, timeouts, force-trace) and
   * internal_only_headers, and get `x-envoy-internal: true`. Default: none —
   * every request is external, as in Envoy ≥ 1.36 without internal_address_config.
   * Whoever sets it loads retrying first (upstream/on-demand.ts `preloadUpstream`):
   * an internal caller may ask for retries on any route.
   */
  readonly trustEnvoyHeaders?: RetryHeaderTrust | undefined
  /**
   * The one stats store: listener, cluster and filter counters all go here
   * (what `/__admin/stats` and Prometheus read). The composition root creates
   * it; default: this isolate's store.
   */
  readonly stats?: StatsStore | undefined
}

export type { ProxyEnv }

export function buildListenerApp(snapshot: Snapshot, listener: Listener, deps: RouterDeps): HonoBase<ProxyEnv> {
  const indexes = new Map<string, RouteIndex>()
  for (const vh of listener.routeTable.virtualHosts) indexes.set(vh.name, buildRouteIndex(vh))
  // The dev server's one line per request, unless the listener has its own access log: one line, not two.
  const devLog = listener.accessLogs?.length ? undefined : deps.log

  const prepare = prepareFor(listener, deps.trustEnvoyHeaders)
  const observer = listenerObserver(snapshot, listener, deps)
  const filters = buildFilterChain(listener, deps)
  // With no http_filters before the router, nothing can add a hop-by-hop header after the connection manager stage removed them.
  // Without an access log or tracing nothing waits for a body's end: bodies pass through, a deadline aborts them (send.ts).
  const action = { hopByHopRemoved: filters.length === 0, passThroughBody: !observesBodyEnd(listener) }
  const routerFilter = (c: Context<ProxyEnv>) => runAction(c, deps, action)
  const onError = (err: Error, c: Context<ProxyEnv>) => {
    const res = isProxyError(err) ? err.toResponse() : new ProxyError('internal', { cause: err }).toResponse()
    if (!isProxyError(err)) console.error('edgevoy: internal error', err)
    res.headers.set('x-edgevoy-config-version', snapshot.version)
    c.res = res
    return res
  }
  // No http_filters: the router filter runs inside the first stage, the app's only handler (Hono then dispatches without compose).
  const direct = filters.length === 0

  /**
   * The connection manager, then observability, then routing, in one stage:
   * the access log, tracing, filters, routing and the upstream all see the
   * normalized, sanitized request, and the log and stats see every answer,
   * a refusal or an error included. `next`: the http_filters and the router
   * filter (Hono's compose), unless `direct`.
   */
  const front = async (c: Context<ProxyEnv>, next: () => Promise<unknown>): Promise<void> => {
    const request = c.req.raw
    // The same Request comes back, its headers (and URL) now the connection manager's (context.ts withHeaders).
    const downstream = prepare(request).info
    c.set('downstream', downstream)
    const observed = observer.start(request)
    const start = devLog ? deps.now() : 0
    c.set('snapshot', snapshot)
    c.set('listener', listener)
    try {
      if (downstream.conflictingFraming) throw new ProxyError('downstream_protocol_error')
      const decision = decideRoute(listener.routeTable, indexes, request, deps.random, downstream.url, observed.requestIdHeader)
      c.set('decision', decision)
      const pathAction = downstream.pathAction
      // Path normalization refused the path (400) or asks the client to come back with the unescaped one (307).
      if (pathAction !== 'continue') c.res = pathNormalizationReply(pathAction, decision.match.path)
      // An upgrade no upgrade_configs allows: 403 before any filter (Envoy refuses it when building the filter chain).
      else if (refusesUpgrade(downstream.upgrade, listener, decision.route)) throw new ProxyError('upgrade_failed')
      // No virtual host or no route: Envoy answers 404 (response flag NR).
      else if (!decision.route) c.res = new ProxyError('no_route').toResponse()
      else if (!direct) await next()
      else {
        // What Hono's compose does with a handler's answer.
        const res = await routerFilter(c)
        if (res && !c.finalized) c.res = res
      }
    } catch (err) {
      // As Hono's compose: an Error becomes the app's error answer, which the log and stats then see.
      if (!(err instanceof Error)) throw err
      c.error = err
      onError(err, c)
    } finally {
      setResponseHeader(c, 'x-edgevoy-config-version', snapshot.version)
      if (devLog) {
        const id = c.get('decision')?.requestId ?? c.req.header('x-request-id') ?? '-'
        devLog(`[${listener.name}] ${c.req.method} ${new URL(c.req.url).pathname} -> ${c.res.status} upstream=${c.get('upstreamHost') ?? '-'} ${Math.round(deps.now() - start)}ms id=${id}`)
      }
    }
    const finished = observer.finish(c, observed)
    if (finished) await finished
  }

  const app = new HonoBase<ProxyEnv>({ router: new EveryPathRouter() })
  if (direct) app.all('*', front)
  else {
    app.use(front)
    for (const filter of filters) app.use(filter)
    app.all('*', routerFilter)
  }
  app.onError(onError)
  return app
}

/**
 * A header on the response already decided. Hono's `c.header` copies the
 * whole Response to be safe from immutable headers (a Response object per
 * request); the answers here are built by edgevoy with headers it may change,
 * so the copy is made only when they turn out immutable.
 */
function setResponseHeader(c: Context<ProxyEnv>, name: string, value: string): void {
  if (c.finalized) {
    try {
      return c.res.headers.set(name, value)
    } catch {
      // Immutable (a Response passed through as it came): Hono's copy below.
    }
  }
  c.header(name, value)
}

/**
 * Envoy's local replies for path normalization: 400, or 307 with the
 * normalized path as Location (ConnectionManagerImpl::ActiveStream::decodeHeaders).
 */
function pathNormalizationReply(action: 'reject' | 'redirect', path: string): Response {
  if (action === 'reject') return new ProxyError('path_normalization_failed').toResponse()
  return new ProxyError('path_normalization_failed', { status: 307, headers: { location: path } }).toResponse()
}
