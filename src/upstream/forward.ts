/**
 * Sends one request to one upstream Host and returns its response, streaming
 * both bodies (nothing is buffered), the way Envoy's router filter does.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter
 */
import type { Cluster, Host } from '../compile/types'
import { ProxyError } from '../errors'
import { isWebSocketUpgrade, stripHopByHop } from './headers'
import { lazyModule } from '../lazy-module'
import { declaredLength, watchUpload, type UploadState } from './upload'

// An upstream 1xx is rare (Expect: 100-continue, 103 Early Hints): the code that reads past it is
// imported on the first one an isolate sees, in a chunk of its own, not carried by every isolate.
const INFORMATIONAL = lazyModule(() => import('./informational.js'))

export interface ForwardRequest {
  /** The downstream request; its body is a stream and is never buffered. */
  readonly request: Request
  /** The chosen endpoint. */
  readonly host: Host
  readonly cluster: Cluster
  /** Path and query to send, already rewritten by the router. */
  readonly path: string
  /** Upstream request headers (from `prepareUpstreamHeaders`, then the router's mutations). */
  readonly headers: Headers
  /** How long to wait for the response headers (the try's share of the route timeout); 0: no limit. */
  readonly timeoutMs: number
  /** Aborts the upstream request, e.g. when the downstream client goes away. */
  readonly signal?: AbortSignal | undefined
  /** Receives the state of the client's upload as it streams (complete, failed). */
  readonly onUpload?: ((state: UploadState) => void) | undefined
  /**
   * Keep the headers timer running past the headers and hand it over in the
   * answer (`timer`): the caller's body guard reuses it when its deadline is
   * the same instant (send.ts: the route timeout bounds both), one timer per
   * request instead of two — workerd's timers are not free.
   */
  readonly handOverTimer?: boolean | undefined
}

/** A running timer handed from the headers wait to the body guard: `take` gives it a new job; `clear` stops it. */
export interface HandedTimer {
  /** Epoch ms it fires at. */
  readonly at: number
  take(onFire: () => void): void
  clear(): void
}

export interface ForwardDeps {
  fetch: typeof fetch
  /** Workers service bindings by name, for hosts with a `binding`. */
  bindings?: Record<string, Fetcher | undefined>
  now: () => number
}

const ONCE = { once: true } as const

/** Statuses whose responses cannot carry a body (the Response constructor rejects one). */
const NULL_BODY_STATUS = new Set([101, 204, 205, 304])

/**
 * The upstream's answer before edgevoy makes a Response of it. Its headers
 * are the upstream's own, read-only: the one Response the router filter
 * returns is built around them and its body (`answerResponse`, send.ts), and
 * the Response's own copy is where hop-by-hop fields are removed and the
 * service time is set — one copy of the headers per answer, not a copy
 * edited here and copied again by the Response constructor.
 */
export interface UpstreamAnswer {
  readonly status: number
  readonly statusText: string
  /** The upstream's response headers as received (read them; edit the Response's). */
  readonly headers: Headers
  /** `x-envoy-upstream-service-time`: ms from sending the request to its response headers. */
  readonly serviceTime: string
  /** null for 1xx/204/205/304 and bodiless answers. */
  readonly body: ReadableStream<Uint8Array> | null
  /** A WebSocket upgrade (101, or a response carrying its socket): the Response to return as it is. */
  readonly upgrade?: Response | undefined
  /** The headers timer, still running (only with `handOverTimer` and a body): the caller must take or clear it. */
  readonly timer?: HandedTimer | undefined
  /**
   * Aborts the upstream fetch: after the headers this errors `body` where it
   * stands (workerd cancels the subrequest), even once it is handed to the
   * client as it came — how a deadline resets a body no JS stream carries.
   */
  readonly abort?: ((reason: ProxyError) => void) | undefined
  /** The upstream's Response whose `body` this is (read it whole with `arrayBuffer()`, no second Response). */
  readonly upstream?: Response | undefined
}

/**
 * The answer as the Response sent downstream, with `body` (the upstream's by
 * default): the upstream's headers copied once, by the constructor, then
 * edited in that copy as Envoy's router and connection manager edit the
 * upstream's response headers — hop-by-hop fields removed (RFC 9110 §7.6.1),
 * `x-envoy-immediate-health-check-fail` consumed (send.ts acted on it),
 * `x-envoy-upstream-service-time` set.
 */
export function answerResponse(answer: UpstreamAnswer, body: BodyInit | null = answer.body): Response {
  if (answer.upgrade) return answer.upgrade
  const response = new Response(body, { status: answer.status, statusText: answer.statusText, headers: answer.headers })
  const headers = stripHopByHop(response.headers)
  headers.delete('x-envoy-immediate-health-check-fail')
  headers.set('x-envoy-upstream-service-time', answer.serviceTime)
  return response
}

/**
 * Forwards `req` and resolves with the upstream response once its final
 * headers arrive (any 1xx before them is skipped). Rejects with
 * `ProxyError('upstream_timeout')` (504) or `ProxyError('upstream_connect_failure')`
 * (503) before headers, or `ProxyError('downstream_disconnect')` when the
 * client's own upload failed. `timeoutMs` covers only the wait for headers:
 * the caller bounds the body (`guardBody`), as Envoy's per-try timeout "only
 * applies before any part of the response is sent to the downstream".
 */
export async function forward(req: ForwardRequest, deps: ForwardDeps): Promise<Response> {
  return answerResponse(await forwardAnswer(req, deps))
}

/** forward(), resolving with the answer's parts (see UpstreamAnswer). */
export async function forwardAnswer(req: ForwardRequest, deps: ForwardDeps): Promise<UpstreamAnswer> {
  const { request, host, timeoutMs } = req
  const controller = new AbortController()
  let timedOut = false
  // What the timer does when it fires: abort the wait for headers, or (handed over) whatever the body guard asks.
  let onTimer: (() => void) | undefined = () => {
    timedOut = true
    controller.abort(new ProxyError('upstream_timeout'))
  }
  const timerAt = deps.now() + timeoutMs
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          const fire = onTimer
          onTimer = undefined
          fire?.()
        }, timeoutMs)
      : undefined
  const stopTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer)
  }
  const onDownstreamAbort = () => controller.abort(new ProxyError('downstream_disconnect'))
  if (req.signal?.aborted) onDownstreamAbort()
  req.signal?.addEventListener('abort', onDownstreamAbort, ONCE)

  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null
  const upload = hasBody ? watchUpload(request.body!, declaredLength(req.headers)) : undefined
  if (upload) req.onUpload?.(upload.state)
  // The upstream request is built once, by fetch() from the URL and init (no
  // Request object of our own to copy into it). fetch copies req.headers, so
  // the caller's stay as they were; Envoy answers `Expect: 100-continue`
  // itself and removes the header, so the upstream never sends a 100 for it
  // (conn_manager_impl.cc, proxy_100_continue off).
  const init: RequestInit = {
    method: request.method,
    headers: req.headers.has('expect') ? withoutExpect(req.headers) : req.headers,
    body: upload ? withDeclaredLength(upload.stream, req.headers) : null,
    redirect: 'manual',
    signal: controller.signal,
  }
  const url = host.origin + req.path
  const binding = host.binding !== undefined ? deps.bindings?.[host.binding] : undefined

  const sentAt = deps.now()
  let response: Response
  try {
    response = binding ? await binding.fetch(url, init) : await deps.fetch(url, init)
    if (response.status >= 100 && response.status < 200 && response.status !== 101 && !response.webSocket) response = await (await INFORMATIONAL.load()).finalResponse(response, request.method)
  } catch (cause) {
    stopTimer()
    // The client's failure first: fetch() rejects alike when the upload breaks.
    if (upload?.state.failed || req.signal?.aborted) throw new ProxyError('downstream_disconnect', { cause })
    if (timedOut) throw new ProxyError('upstream_timeout', { cause })
    if (cause instanceof ProxyError) throw cause
    throw new ProxyError('upstream_connect_failure', { cause })
  } finally {
    req.signal?.removeEventListener('abort', onDownstreamAbort)
  }
  const status = response.status
  const body = NULL_BODY_STATUS.has(status) || status === 101 || response.webSocket ? null : response.body
  let handed: HandedTimer | undefined
  if (timer !== undefined && req.handOverTimer && body !== null) {
    // Fired already (it cannot between here and the caller's take: no task runs in between)? Then the new job runs at once.
    let fired = onTimer === undefined
    onTimer = () => void (fired = true)
    handed = {
      at: timerAt,
      take: (job) => (fired ? job() : void (onTimer = job)),
      clear: stopTimer,
    }
  } else stopTimer()
  const serviceTime = String(Math.max(0, Math.floor(deps.now() - sentAt)))

  if (status === 101 || response.webSocket) {
    // A WebSocket upgrade: the socket is the body (Envoy disables the route timeout for upgrades once established).
    const upgrade = withServiceTime(response, serviceTime, isWebSocketUpgrade(request.headers))
    return { status: upgrade.status, statusText: upgrade.statusText, headers: upgrade.headers, serviceTime, body: null, upgrade }
  }

  const abort = (reason: ProxyError) => controller.abort(reason)
  return { status, statusText: response.statusText, headers: response.headers, serviceTime, body, abort, upstream: response, timer: handed }
}

/**
 * workerd sends a JS stream body chunked and drops `Content-Length`; a
 * FixedLengthStream (a native pipe) keeps the declared length, as Envoy keeps
 * it for HTTP/1 upstreams, and errors the upload if the body disagrees.
 */
function withDeclaredLength(body: ReadableStream, headers: Headers): ReadableStream {
  const declared = headers.get('content-length')
  if (declared === null || !/^\d{1,15}$/.test(declared)) return body
  return body.pipeThrough(new FixedLengthStream(Number(declared)))
}

/** A copy of `headers` without `Expect` (the caller's headers stay as they were). */
function withoutExpect(headers: Headers): Headers {
  const copy = new Headers(headers)
  copy.delete('expect')
  return copy
}

/** The 101 response with `x-envoy-upstream-service-time`, keeping its WebSocket. */
function withServiceTime(response: Response, serviceTime: string, keepUpgrade: boolean): Response {
  const headers = stripHopByHop(new Headers(response.headers), { keepUpgrade })
  headers.set('x-envoy-upstream-service-time', serviceTime)
  try {
    return new Response(null, { status: response.status, headers, webSocket: response.webSocket })
  } catch {
    return response
  }
}
