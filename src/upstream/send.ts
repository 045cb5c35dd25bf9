/**
 * The router filter's upstream request with retries: choose a host (health
 * aware), forward, classify the outcome, and try again while the retry
 * policy, the route timeout, the circuit breakers and the Workers subrequest
 * limit all allow it.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#retry-semantics
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter
 */
import type { RetryPolicy } from '../compile/types.js'
import type { Cluster, Host } from '../compile/types.js'
import { ProxyError, isProxyError } from '../errors.js'
import type { ClusterManager, HealthLink } from './cluster-manager.js'
import { forward, type ForwardDeps } from './forward.js'
import { activeRequests } from './lb/index.js'
import { prepareReplayBody, withBody, type ReplayBody } from './replay-body.js'
import { backOffMs, shouldRetry, type AttemptOutcome } from './retry.js'

export interface SendRequest {
  readonly request: Request
  readonly cluster: Cluster
  readonly path: string
  /** Upstream headers for a try to `host` (header mutations may name the host). */
  readonly headersFor: (host: Host) => Headers
  /** Whole request, all tries and back-offs included; 0: none. */
  readonly routeTimeoutMs: number
  /** Each try; 0: bounded by the route timeout only. */
  readonly perTryTimeoutMs: number
  readonly retry: RetryPolicy | undefined
  /** Bodies up to this size are buffered so a retry can replay them. */
  readonly bufferLimitBytes: number
  readonly signal?: AbortSignal
  /** The route's hash_policy result, for RING_HASH / MAGLEV. */
  readonly hash?: bigint | undefined
  /** Called with each host tried, last one last. */
  readonly onHost?: (host: Host) => void
}

export interface SendDeps extends ForwardDeps {
  readonly clusters: ClusterManager
  readonly random: () => number
  readonly sleep: (ms: number) => Promise<void>
  readonly health?: HealthLink | undefined
  /**
   * Upstream tries one request may make. Every try is a subrequest, and a
   * Worker invocation has a subrequest limit (50 on the Free plan), so retries
   * stop here whatever num_retries says.
   */
  readonly maxTries?: number
}

export const DEFAULT_MAX_TRIES = 25

export async function sendWithRetries(req: SendRequest, deps: SendDeps): Promise<Response> {
  const { cluster, retry } = req
  const clusters = deps.clusters
  const release = clusters.breaker(cluster).tryRequest()
  if (!release) throw new ProxyError('upstream_overflow', { headers: { 'x-envoy-overloaded': 'true' } })
  const state = clusters.state(cluster)
  state.counters.rq++
  // A retry counts against max_retries / retry_budget until its try has an outcome.
  let activeRetry: (() => void) | undefined
  try {
    // Buffer only when a retry could need the body again.
    const body: ReplayBody = retry && retry.numRetries > 0 ? await prepareReplayBody(req.request, req.bufferLimitBytes) : { kind: 'none' }
    const replayable = body.kind !== 'stream'
    const start = deps.now()
    const deadline = req.routeTimeoutMs > 0 ? start + req.routeTimeoutMs : Infinity
    const maxTries = Math.min(1 + (retry && replayable ? retry.numRetries : 0), deps.maxTries ?? DEFAULT_MAX_TRIES)
    const tried = new Set<Host>()

    for (let attempt = 0; ; attempt++) {
      const lbContext = { request: req.request, ...(req.hash !== undefined ? { hash: req.hash } : {}) }
      const host = (retry?.avoidPreviousHosts && tried.size ? clusters.chooseHost(cluster, { ...lbContext, exclude: tried }) : undefined) ?? clusters.chooseHost(cluster, lbContext)
      if (!host) throw new ProxyError('no_healthy_upstream')
      tried.add(host)
      req.onHost?.(host)
      const remaining = deadline - deps.now()
      const tryTimeout = Math.min(req.perTryTimeoutMs > 0 ? req.perTryTimeoutMs : Infinity, remaining)
      const isLast = attempt + 1 >= maxTries
      const request = body.kind === 'none' ? req.request : withBody(req.request, body)

      let outcome: AttemptOutcome
      let response: Response | undefined
      let failure: ProxyError | undefined
      // LEAST_REQUEST compares in-flight tries per host (until headers, like the breaker).
      const inFlight = activeRequests.begin(host)
      try {
        response = await forward(
          { request, host, cluster, path: req.path, headers: req.headersFor(host), timeoutMs: Number.isFinite(tryTimeout) ? Math.max(1, tryTimeout) : 0, signal: req.signal },
          deps,
        )
        inFlight()
        outcome = { kind: 'response', status: response.status, headers: response.headers }
        clusters.reportAttempt(cluster, host, { kind: 'response', status: response.status })
        if (response.headers.has('x-envoy-immediate-health-check-fail')) {
          clusters.immediateHealthCheckFail(cluster, host, deps.health)
          response.headers.delete('x-envoy-immediate-health-check-fail')
        }
      } catch (e) {
        inFlight()
        if (!isProxyError(e) || e.code === 'downstream_disconnect') throw e
        failure = e
        const routeTimedOut = e.code === 'upstream_timeout' && deps.now() >= deadline - 5
        if (routeTimedOut) throw new ProxyError('upstream_timeout', { cause: e })
        const reason = e.code === 'upstream_timeout' ? 'per_try_timeout' : 'connect_failure'
        clusters.reportAttempt(cluster, host, { kind: 'local', reason: reason === 'per_try_timeout' ? 'timeout' : 'connect_failure' })
        outcome = { kind: 'no_response', reason }
      }

      activeRetry?.()
      activeRetry = undefined
      const retryable = !isLast && retry !== undefined && replayable && shouldRetry(retry, outcome)
      const releaseRetry = retryable ? clusters.breaker(cluster).tryRetry() : undefined
      if (!releaseRetry) {
        if (response) return response
        throw failure ?? new ProxyError('upstream_connect_failure')
      }
      activeRetry = releaseRetry
      // The unused response is discarded; its connection is not reused anyway.
      await response?.body?.cancel().catch(() => undefined)
      state.counters.retries++
      const wait = backOffMs(retry!, attempt + 1, deps.random)
      if (deps.now() + wait >= deadline) throw new ProxyError('upstream_timeout')
      await deps.sleep(wait)
    }
  } finally {
    activeRetry?.()
    release()
  }
}
