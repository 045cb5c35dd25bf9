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
import { activeRequests, type LbContext } from './lb/index.js'
import { prepareReplayBody, withBody, type ReplayBody } from './replay-body.js'
import { backOffMs, shouldRetry, type AttemptOutcome } from './retry.js'
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

/**
 * One try, no retry loop: for a request no retry policy covers (the route has
 * none and no trusted caller asked for one). The same steps as a
 * sendWithRetries that makes one try — admission, host choice, `tryHost`,
 * the guarded body — without what only a second try needs (tried hosts, a
 * replayable body, the retry breaker).
 */
export async function sendOnce(req: SendRequest, deps: SendDeps): Promise<Response> {
  const release = admit(req, deps.clusters)
  try {
    const deadline = req.routeTimeoutMs > 0 ? deps.now() + req.routeTimeoutMs : Infinity
    const host = deps.clusters.chooseHost(req.cluster, lbContext(req))
    if (!host) throw new ProxyError('no_healthy_upstream')
    req.onHost?.(host)
    const tried = await tryHost(req, host, req.request, deadline, false, deps)
    if (tried.response) return await guardResponse(tried.response, req, deadline, deps.now)
    throw tried.failure
  } finally {
    release()
  }
}

export async function sendWithRetries(req: SendRequest, deps: SendDeps): Promise<Response> {
  const { cluster, retry } = req
  if (!retry) return sendOnce(req, deps)
  const clusters = deps.clusters
  const release = admit(req, clusters)
  // A retry counts against max_retries / retry_budget until its try has an outcome.
  let activeRetry: (() => void) | undefined
  try {
    // Buffer only when a retry could need the body again.
    const body: ReplayBody = retry.numRetries > 0 ? await prepareReplayBody(req.request, req.bufferLimitBytes) : { kind: 'none' }
    const replayable = body.kind !== 'stream'
    const deadline = req.routeTimeoutMs > 0 ? deps.now() + req.routeTimeoutMs : Infinity
    const maxTries = Math.min(1 + (replayable ? retry.numRetries : 0), deps.maxTries ?? DEFAULT_MAX_TRIES)
    const tried = new Set<Host>()

    for (let attempt = 0; ; attempt++) {
      const context = lbContext(req)
      const host = (retry.avoidPreviousHosts && tried.size ? clusters.chooseHost(cluster, { ...context, exclude: tried }) : undefined) ?? clusters.chooseHost(cluster, context)
      if (!host) throw new ProxyError('no_healthy_upstream')
      tried.add(host)
      req.onHost?.(host)
      const result = await tryHost(req, host, body.kind === 'none' ? req.request : withBody(req.request, body), deadline, body.kind === 'buffered', deps)
      const { response } = result
      const outcome: AttemptOutcome = response ? { kind: 'response', status: response.status, headers: response.headers } : { kind: 'no_response', reason: result.reason }

      activeRetry?.()
      activeRetry = undefined
      const retryable = attempt + 1 < maxTries && replayable && shouldRetry(retry, outcome)
      const releaseRetry = retryable ? clusters.breaker(cluster).tryRetry() : undefined
      if (!releaseRetry) {
        if (response) return await guardResponse(response, req, deadline, deps.now)
        throw result.failure
      }
      activeRetry = releaseRetry
      // The unused response is discarded; its connection is not reused anyway.
      response?.timer?.clear()
      await response?.body?.cancel().catch(() => undefined)
      clusters.state(cluster).counters.retries++
      const wait = backOffMs(retry, attempt + 1, deps.random)
      if (deps.now() + wait >= deadline) throw new ProxyError('upstream_timeout')
      await deps.sleep(wait)
    }
  } finally {
    activeRetry?.()
    release()
  }
}

/**
 * What every forward does before its first try: refuse conflicting framing,
 * pass the circuit breaker, count the request. Returns the breaker's release.
 */
function admit(req: SendRequest, clusters: ClusterManager): () => void {
  // RFC 9112 §6.1: Content-Length with Transfer-Encoding is a smuggling vector;
  // Envoy's HTTP/1 codec rejects it with 400 unless allow_chunked_length is set.
  if (req.request.headers.has('transfer-encoding') && req.request.headers.has('content-length')) throw new ProxyError('downstream_protocol_error')
  const release = clusters.breaker(req.cluster).tryRequest()
  if (!release) throw new ProxyError('upstream_overflow', { headers: { 'x-envoy-overloaded': 'true' } })
  clusters.state(req.cluster).counters.rq++
  return release
}

/** What the balancer picks by: the request, and the route's hash when it has one. */
function lbContext(req: SendRequest): LbContext {
  return req.hash !== undefined ? { request: req.request, hash: req.hash } : { request: req.request }
}

/** A try's end: the upstream's answer, or no answer (a failure the retry policy may retry). */
type Tried = { readonly response: UpstreamAnswer } | { readonly response?: undefined; readonly failure: ProxyError; readonly reason: 'connect_failure' | 'per_try_timeout' }

/**
 * One try to `host`, under whichever timer would fire first, with passive
 * health told how it went. Throws what no retry can help: the client gone, a
 * stream timer (route, request, idle, duration) before the headers.
 * `bodyBuffered`: the client's body is already whole in memory (for 504 vs 408).
 */
async function tryHost(req: SendRequest, host: Host, request: Request, deadline: number, bodyBuffered: boolean, deps: SendDeps): Promise<Tried> {
  const clusters = deps.clusters
  const now = deps.now()
  // The first strictly smaller wins, in this order: route, duration, request, idle, per-try (no array per try).
  let binding: LimitKind = 'route'
  let tryTimeout = deadline - now
  const duration = (req.streamDeadline ?? Infinity) - now
  if (duration < tryTimeout) {
    binding = 'duration'
    tryTimeout = duration
  }
  const requestLeft = (req.requestDeadline ?? Infinity) - now
  if (requestLeft < tryTimeout) {
    binding = 'request'
    tryTimeout = requestLeft
  }
  const idleMs = req.streamIdleTimeoutMs ?? 0
  if (idleMs > 0 && idleMs < tryTimeout) {
    binding = 'idle'
    tryTimeout = idleMs
  }
  if (req.perTryTimeoutMs > 0 && req.perTryTimeoutMs < tryTimeout) {
    binding = 'per_try'
    tryTimeout = req.perTryTimeoutMs
  }
  // Whether the client's request had fully arrived decides 504 vs 408 for a stream timer (Envoy maybeRequestTimeoutCode).
  let upload: UploadState | undefined
  // LEAST_REQUEST compares in-flight tries per host (until headers, like the breaker); /clusters shows them as rq_active.
  const inFlight = activeRequests.begin(host)
  try {
    const response = await forwardAnswer(
      {
        request, host, cluster: req.cluster, path: req.path, headers: req.headersFor(host), timeoutMs: Number.isFinite(tryTimeout) ? Math.max(1, tryTimeout) : 0, signal: req.signal, onUpload: (state) => (upload = state),
        // The route timeout bounds this wait and the body alike: one timer for both (guardResponse).
        handOverTimer: binding === 'route',
      },
      deps,
    )
    inFlight()
    clusters.reportAttempt(req.cluster, host, { kind: 'response', status: response.status })
    if (response.headers.has('x-envoy-immediate-health-check-fail')) {
      clusters.immediateHealthCheckFail(req.cluster, host, deps.health)
      response.headers.delete('x-envoy-immediate-health-check-fail')
    }
    return { response }
  } catch (e) {
    inFlight()
    if (!isProxyError(e) || e.code === 'downstream_disconnect') throw e
    if (e.code === 'upstream_timeout' && binding !== 'per_try') throw timeoutError(binding, req.request.body === null || bodyBuffered || upload?.complete === true, e)
    const reason = e.code === 'upstream_timeout' ? 'per_try_timeout' : 'connect_failure'
    clusters.reportAttempt(req.cluster, host, { kind: 'local', reason: reason === 'per_try_timeout' ? 'timeout' : 'connect_failure' })
    return { failure: e, reason }
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
      return new Response(read.body, { status: response.status, statusText: response.statusText, headers: response.headers })
    }
    if (req.passThroughBody && response.abort) {
      const hold = abortAtDeadline(response.abort, deadline, now, reuse)
      if (hold) req.passThroughBody(hold)
      return answerResponse(response)
    }
    const piped = pipeBody(response.body, length!, deadline, now, reuse)
    req.onBodyDone?.(piped.done)
    return new Response(piped.body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  handed?.clear()
  const guarded = guardBody(response.body, limits)
  req.onBodyDone?.(guarded.done)
  return new Response(length === undefined ? guarded.body : guarded.body.pipeThrough(new FixedLengthStream(length)), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
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
