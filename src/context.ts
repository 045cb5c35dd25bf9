/**
 * The per-request variables a listener's Hono app carries, in one leaf
 * module that filters, observability and the router all import (Hono's
 * request-id middleware pattern: a middleware never imports the app).
 * Imports only compiled types.
 */
import type { Context } from 'hono'
import type { Listener, MatchRequest, Route, Snapshot, VirtualHost } from './compile/types.js'
import type { BodyOutcome } from './upstream/body-guard.js'

/** Which virtual host and route a request takes (router/decide.ts decides it). */
export interface RouteDecision {
  readonly match: MatchRequest
  readonly pathname: string
  readonly virtualHost: VirtualHost | undefined
  readonly route: Route | undefined
  /** The downstream x-request-id, if the client sent one. */
  readonly requestId: string | undefined
}

/** The connection manager's view of the downstream request (router/downstream.ts decides it). */
export interface DownstreamInfo {
  /** Envoy's downstream remote address after use_remote_address / xff_num_trusted_hops: what logs and %DOWNSTREAM_REMOTE_ADDRESS% show. */
  readonly remoteAddress: string | undefined
  /** Internal requests keep x-envoy-* control headers and get `x-envoy-internal: true`. */
  readonly internal: boolean
  /** External with use_remote_address: edgevoy is the first trusted hop. */
  readonly edge: boolean
  /** What path normalization decided: a 400 or a 307 are answered before routing. */
  readonly pathAction: 'continue' | 'reject' | 'redirect'
  /**
   * Both Content-Length and Transfer-Encoding: Envoy's HTTP/1 codec refuses the
   * request (400, DPE) unless allow_chunked_length — read before the hop-by-hop
   * removal drops Transfer-Encoding.
   */
  readonly conflictingFraming: boolean
  /** The request's upgrade type (`websocket`), lower-cased, read before hop-by-hop headers are removed; undefined: not an upgrade. */
  readonly upgrade?: string | undefined
  /** The prepared request's URL, parsed once (path normalized): routing reads it rather than parsing `request.url` again. Never changed. */
  readonly url: URL
}

export interface ProxyVariables {
  decision: RouteDecision
  /** The connection manager's view of the downstream request. */
  downstream: DownstreamInfo
  snapshot: Snapshot
  listener: Listener
  /** Set when the response came from an upstream host. */
  upstreamHost: string | undefined
  /** The cluster the route action picked. */
  upstreamCluster: string | undefined
  /** How the upstream response body ended (set once it streams; an outcome already known when it was read whole): the access log waits for it. */
  bodyDone: Promise<BodyOutcome> | BodyOutcome | undefined
  /** Envoy response flags a filter set for its local reply (e.g. RL), for %RESPONSE_FLAGS%. */
  responseFlags: readonly string[] | undefined
}

export type ProxyEnv = { Variables: ProxyVariables }

export type ProxyContext = Context<ProxyEnv>

/**
 * The connection manager's request without a copy of it: the client's own
 * Request, whose `headers` (and `url`, when path normalization changed it)
 * become own properties holding this Worker's values, in front of the
 * runtime's getters. Incoming headers are immutable in workerd, and a
 * Request copy costs ~15–20 µs of CPU (BENCHMARKS.md); a Headers copy made
 * once costs less, and the body stream, signal and `cf` stay the client's.
 *
 * `request.headers` is then the one header map of the request, as in Envoy,
 * where the connection manager mutates the request headers before any filter
 * runs and filters share that map: route matchers, filters, the access log's
 * %REQ()%, retries, mirrors and the router's upstream headers all read it,
 * and a filter changes it in place (filters/request.ts).
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_filters
 *
 * What the runtime reads natively does not see these properties: `fetch(request)`,
 * `new Request(request)` and `request.clone()` would carry the client's own
 * headers and URL. The data plane never hands this Request to one: forward.ts
 * calls fetch(url, init) with headers built from `request.headers`, and a new
 * Request is made from `request.url` and `request.headers` (`requestWithBody`).
 */
export function withHeaders<R extends Request>(request: R, headers: Headers, url?: string): R {
  Object.defineProperty(request, 'headers', { value: headers, enumerable: true, configurable: true })
  if (url !== undefined) Object.defineProperty(request, 'url', { value: url, enumerable: true, configurable: true })
  return request
}

/**
 * A new Request for when the body must change (the decompressor's decoded
 * upload): built from the JS-visible `url`, `method` and header map (the
 * prepared ones, not the runtime's), which it carries as its own `headers` —
 * the very same Headers object, so the route decision's match view and the
 * access log keep reading the request's one map — and the client's `cf`
 * (requestKeepingCf).
 */
export function requestWithBody(request: Request, body: ReadableStream | null): Request {
  const headers = request.headers
  const bodiless = request.method === 'GET' || request.method === 'HEAD'
  const init = { method: request.method, headers, body: bodiless ? null : body, redirect: request.redirect, signal: request.signal, duplex: 'half' }
  return withHeaders(requestKeepingCf(request.url, init as RequestInit, request), headers)
}

/**
 * `new Request(input, init)` that keeps `cfFrom.cf` (Cloudflare's request
 * properties: colo, httpProtocol, …) without handing it to the constructor:
 * workerd serializes a `cf` given in a RequestInit, ~30 µs per copy for the
 * ~30 properties Cloudflare sets (measured in workerd with the properties
 * Miniflare gives), and copies the one of a Request given as `input` the same
 * way. The copy gets the very same object as its own `cf` instead. Only what
 * stays inside this Worker reads it (load balancing by colo, the access log's
 * protocol): forward.ts builds the upstream request without it, as before.
 */
function requestKeepingCf(input: string | Request, init: RequestInit, cfFrom: Request): Request {
  const copy = new Request(input, init)
  const cf = cfFrom.cf
  if (cf !== undefined) Object.defineProperty(copy, 'cf', { value: cf, enumerable: true, configurable: true })
  return copy
}
