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
import { answerResponse, forwardAnswer, type ForwardDeps, type UpstreamAnswer } from './forward.js'
import { activeRequests } from './lb/index.js'
import { retrying } from './on-demand.js'
import type { ReplayBody } from './replay-body.js'
import type { AttemptOutcome } from './retry.js'
import { abortAtDeadline, canPipe, earliest, guardBody, pipeBody, readSmallBody, SMALL_BODY_BYTES, type BodyDeadline, type BodyOutcome } from './body-guard.js'
import type { UploadState } from './upload.js'

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
  /** HCM `stream_idle_timeout` (or the route's `idle_timeout`): longest wait for headers or between body chunks; 0: none. */
  readonly streamIdleTimeoutMs?: number
  /** Epoch ms when HCM `request_timeout` fires unless response headers came first. */
  readonly requestDeadline?: number | undefined
  /** Epoch ms by which the whole stream must be over (`max_stream_duration`). */
  readonly streamDeadline?: number | undefined
  /** Receives the response body's outcome (complete, reset by a timer or the upstream, abandoned by the client). */
  readonly onBodyDone?: (done: Promise<BodyOutcome> | BodyOutcome) => void
  /**
   * Set when nothing observes how a response body ends (no access log, no
   * tracing on the listener): a body of known length is then handed on as the
   * upstream's own stream, with the deadline aborting the fetch
   * (`abortAtDeadline`), and this receives the timer's promise to hold the
   * request open until it fires (the Worker's waitUntil). `onBodyDone` is not called then.
   */
  readonly passThroughBody?: ((hold: Promise<void>) => void) | undefined
}

type LimitKind = 'route' | 'per_try' | 'idle' | 'request' | 'duration'

/** The local reply for a stream timer that fired before the response headers (Envoy answers 408 while the request is still arriving, else 504). */
function timeoutError(kind: Exclude<LimitKind, 'per_try'>, requestComplete: boolean, cause: unknown): ProxyError {
  const status = requestComplete ? 504 : 408
  if (kind === 'idle') return new ProxyError('stream_idle_timeout', { cause, status })
  if (kind === 'request') return new ProxyError('request_timeout', { cause, status })
  if (kind === 'duration') return new ProxyError('max_duration_timeout', { cause, status })
  return new ProxyError('upstream_timeout', { cause })
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

const NO_BODY: ReplayBody = Object.freeze({ kind: 'none' })

export async function sendWithRetries(req: SendRequest, deps: SendDeps): Promise<Response> {
  const { cluster, retry } = req
  // RFC 9112 §6.1: Content-Length with Transfer-Encoding is a smuggling vector;
  // Envoy's HTTP/1 codec rejects it with 400 unless allow_chunked_length is set.
  if (req.request.headers.has('transfer-encoding') && req.request.headers.has('content-length')) throw new ProxyError('downstream_protocol_error')
  const clusters = deps.clusters
  const release = clusters.breaker(cluster).tryRequest()
  if (!release) throw new ProxyError('upstream_overflow', { headers: { 'x-envoy-overloaded': 'true' } })
  const state = clusters.state(cluster)
  state.counters.rq++
  // A retry counts against max_retries / retry_budget until its try has an outcome.
  let activeRetry: (() => void) | undefined
  try {
    // Buffer only when a retry could need the body again (retrying's module is loaded for a snapshot whose routes retry: upstream/on-demand.ts).
    const body: ReplayBody = retry && retry.numRetries > 0 ? await retrying().prepareReplayBody(req.request, req.bufferLimitBytes) : NO_BODY
    const replayable = body.kind !== 'stream'
    const start = deps.now()
    const deadline = req.routeTimeoutMs > 0 ? start + req.routeTimeoutMs : Infinity
    const idleMs = req.streamIdleTimeoutMs ?? 0
    // Whether the client's request had fully arrived decides 504 vs 408 for a stream timer (Envoy maybeRequestTimeoutCode).
    let upload: UploadState | undefined
    const requestComplete = () => req.request.body === null || body.kind === 'buffered' || upload?.complete === true
    const maxTries = Math.min(1 + (retry && replayable ? retry.numRetries : 0), deps.maxTries ?? DEFAULT_MAX_TRIES)
    const tried = new Set<Host>()

    for (let attempt = 0; ; attempt++) {
      const lbContext = { request: req.request, ...(req.hash !== undefined ? { hash: req.hash } : {}) }
      const host = (retry?.avoidPreviousHosts && tried.size ? clusters.chooseHost(cluster, { ...lbContext, exclude: tried }) : undefined) ?? clusters.chooseHost(cluster, lbContext)
      if (!host) throw new ProxyError('no_healthy_upstream')
      tried.add(host)
      req.onHost?.(host)
      // Whichever timer would fire first bounds the wait for this try's headers.
      const now = deps.now()
      // The first strictly smaller wins, in this order: route, duration, request, idle, per-try (no array per try).
      let binding: LimitKind = 'route'
      let tryTimeout = deadline - now
      const duration = (req.streamDeadline ?? Infinity) - now
      if (duration < tryTimeout) {
        binding = 'duration'
        tryTimeout = duration
      }
      const request = (req.requestDeadline ?? Infinity) - now
      if (request < tryTimeout) {
        binding = 'request'
        tryTimeout = request
      }
      if (idleMs > 0 && idleMs < tryTimeout) {
        binding = 'idle'
        tryTimeout = idleMs
      }
      if (req.perTryTimeoutMs > 0 && req.perTryTimeoutMs < tryTimeout) {
        binding = 'per_try'
        tryTimeout = req.perTryTimeoutMs
      }
      const isLast = attempt + 1 >= maxTries
      const tryRequest = body.kind === 'none' ? req.request : retrying().withBody(req.request, body)

      let outcome: AttemptOutcome
      let response: UpstreamAnswer | undefined
      let failure: ProxyError | undefined
      // LEAST_REQUEST compares in-flight tries per host (until headers, like the breaker).
      const inFlight = activeRequests.begin(host)
      try {
        response = await forwardAnswer(
          {
            request: tryRequest, host, cluster, path: req.path, headers: req.headersFor(host), timeoutMs: Number.isFinite(tryTimeout) ? Math.max(1, tryTimeout) : 0, signal: req.signal, onUpload: (state) => (upload = state),
            // The route timeout bounds this wait and the body alike: one timer for both (guardResponse).
            handOverTimer: binding === 'route',
          },
          deps,
        )
        inFlight()
        outcome = { kind: 'response', status: response.status, headers: response.headers }
        clusters.reportAttempt(cluster, host, { kind: 'response', status: response.status })
        // The header itself is not passed on (answerResponse removes it).
        if (response.headers.has('x-envoy-immediate-health-check-fail')) clusters.immediateHealthCheckFail(cluster, host, deps.health)
      } catch (e) {
        inFlight()
        if (!isProxyError(e) || e.code === 'downstream_disconnect') throw e
        failure = e
        if (e.code === 'upstream_timeout' && binding !== 'per_try') throw timeoutError(binding, requestComplete(), e)
        const reason = e.code === 'upstream_timeout' ? 'per_try_timeout' : 'connect_failure'
        clusters.reportAttempt(cluster, host, { kind: 'local', reason: reason === 'per_try_timeout' ? 'timeout' : 'connect_failure' })
        outcome = { kind: 'no_response', reason }
      }

      activeRetry?.()
      activeRetry = undefined
      const retryable = !isLast && retry !== undefined && replayable && retrying().shouldRetry(retry, outcome)
      const releaseRetry = retryable ? clusters.breaker(cluster).tryRetry() : undefined
      if (!releaseRetry) {
        if (response) return await guardResponse(response, req, deadline, deps.now)
        throw failure ?? new ProxyError('upstream_connect_failure')
      }
      activeRetry = releaseRetry
      // The unused response is discarded; its connection is not reused anyway.
      response?.timer?.clear()
      await response?.body?.cancel().catch(() => undefined)
      state.counters.retries++
      const wait = retrying().backOffMs(retry!, attempt + 1, deps.random)
      if (deps.now() + wait >= deadline) throw new ProxyError('upstream_timeout')
      await deps.sleep(wait)
    }
  } finally {
    activeRetry?.()
    release()
  }
}

// Module-level, so abortAtDeadline can make each reason once.
const routeTimeoutError = () => new ProxyError('upstream_timeout')
const maxDurationError = () => new ProxyError('max_duration_timeout')

/**
 * The chosen response with its body under the route timeout, the stream idle
 * timeout and max_stream_duration (see body-guard.ts). Upgrades keep their socket.
 */
async function guardResponse(response: UpstreamAnswer, req: SendRequest, routeDeadline: number, now: () => number): Promise<Response> {
  const handed = response.timer
  if (response.body === null || response.upgrade) {
    handed?.clear()
    return answerResponse(response)
  }
  const deadlines: BodyDeadline[] = []
  if (Number.isFinite(routeDeadline)) deadlines.push({ at: routeDeadline, error: routeTimeoutError })
  if (req.streamDeadline !== undefined) deadlines.push({ at: req.streamDeadline, error: maxDurationError })
  const limits = { deadlines, idleMs: req.streamIdleTimeoutMs ?? 0, now }
  const length = keptLength(response.headers)
  if (canPipe(length, limits)) {
    const deadline = earliest(deadlines)
    // The headers timer fires at this very deadline (the route timeout): it carries on for the body.
    const reuse = handed !== undefined && deadline !== undefined && handed.at === deadline.at ? handed : undefined
    if (!reuse) handed?.clear()
    // Small: read whole under the deadline's running timer — no stream, no timer left (the common case: ~+100 µs less than either below).
    if (reuse && deadline && response.abort && length! <= SMALL_BODY_BYTES) {
      const read = await readSmallBody(response.upstream ?? new Response(response.body), length!, deadline, response.abort, reuse)
      req.onBodyDone?.(read.outcome)
      return answerResponse(response, read.body)
    }
    if (req.passThroughBody && response.abort) {
      const hold = abortAtDeadline(response.abort, deadline, now, reuse)
      if (hold) req.passThroughBody(hold)
      return answerResponse(response)
    }
    const piped = pipeBody(response.body, length!, deadline, now, reuse)
    req.onBodyDone?.(piped.done)
    return answerResponse(response, piped.body)
  }
  handed?.clear()
  const guarded = guardBody(response.body, limits)
  req.onBodyDone?.(guarded.done)
  return answerResponse(response, length === undefined ? guarded.body : guarded.body.pipeThrough(new FixedLengthStream(length)))
}

/**
 * workerd ends a chunked response cleanly ("0\r\n\r\n") even when its body
 * stream errors, so over HTTP/1.1 a reset mid-body would look complete. With
 * the upstream's Content-Length kept (a FixedLengthStream), the connection
 * closes short of it and the client sees the reset. Bodies workerd decodes
 * (Content-Encoding) change length, so they keep streaming chunked.
 */
function keptLength(headers: Headers): number | undefined {
  const length = headers.get('content-length')
  const encoding = headers.get('content-encoding')
  if (length === null || !/^\d{1,15}$/.test(length) || (encoding !== null && encoding.toLowerCase() !== 'identity')) return undefined
  return Number(length)
}
