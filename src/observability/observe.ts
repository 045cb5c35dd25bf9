/**
 * The observability stage of a listener's app, right after the connection
 * manager's: it gives the request its `x-request-id` and trace context
 * before routing, and once the response is decided writes the access log,
 * the stats, the Analytics Engine point and the Zipkin span.
 */
import type { Context } from 'hono'
import type { Listener, Snapshot } from '../compile/types.js'
import { isProxyError } from '../errors.js'
import type { ProxyEnv } from '../context.js'
import { lazyModule } from '../lazy-module.js'
import type { LogSinks } from './access-log/loggers.js'
import type { LogRecord } from './access-log/record.js'
import type { BodyOutcome } from '../upstream/body-guard.js'
import { analyticsBinding, writeRequestPoint, type AnalyticsBinding } from './analytics.js'
import { listenerStats, recordStats } from './record-stats.js'
import { isolateStats, type StatsSink } from './stats.js'
import type { ListenerObservers } from './observers.js'
import type { TraceContext } from './tracing/context.js'
import type { ZipkinExporter } from './tracing/zipkin.js'

export interface ObserveDeps {
  readonly fetch: typeof fetch
  readonly now: () => number
  readonly random: () => number
  /** Default: this isolate's store (what /__admin/stats serves). */
  readonly stats?: StatsSink
  /** Default: this isolate's exporter. */
  readonly zipkin?: ZipkinExporter
  /** Default: console.log / console.error. */
  readonly logSinks?: LogSinks
}

/**
 * Does anything here need to know how and when a response body ended? An
 * access log (%BYTES_SENT%, %DURATION%, a UT/UR/DC flag set mid-body) and a
 * trace span do. Stats do not wait for it: Envoy charges downstream_rq_completed
 * and downstream_rq_<N>xx when the response headers are encoded
 * (ConnectionManagerImpl::ActiveStream::chargeStats, called from encodeHeaders);
 * without an observer edgevoy records every stat then, and the two
 * `*_rq_time` histograms end at the headers (docs/differences.md).
 */
export function observesBodyEnd(listener: Listener): boolean {
  return (listener.accessLogs?.length ?? 0) > 0 || listener.tracing !== undefined
}

const observers = lazyModule(() => import('./observers.js'))

/**
 * The access-log and tracing code (./observers.ts), imported once per isolate
 * and only for a listener that has either: awaited where a snapshot is made
 * ready (state/serving.ts), before `buildListenerApp`, never per request.
 */
export async function loadObservers(listener: Listener): Promise<void> {
  if (observesBodyEnd(listener)) await preloadObservers()
}

/** Imports the module whatever the listener (tests that build apps synchronously). */
export async function preloadObservers(): Promise<void> {
  await observers.load()
}

/** What the observability stage keeps of a request between its start and its response. */
export interface Observation {
  readonly startTime: number
  readonly request: Request
  /** The request's id (the client's, or the one generated here). */
  readonly requestId: string | undefined
  /** Its x-request-id as the later stages see it: routing takes it from here rather than from the header map. */
  readonly requestIdHeader: string | undefined
  readonly trace: TraceContext | undefined
}

/**
 * The observability stage of a listener (router/app.ts runs it around
 * routing, the filters and the router filter): `start` before routing,
 * `finish` once the response is decided.
 */
export interface ListenerObserver {
  start(request: Request): Observation
  /** A promise only when a local reply's size must be read first. */
  finish(c: Context<ProxyEnv>, o: Observation): void | Promise<void>
}

export function listenerObserver(snapshot: Snapshot, listener: Listener, deps: ObserveDeps): ListenerObserver {
  let obs: ListenerObservers | undefined
  if (observesBodyEnd(listener)) {
    const loaded = observers.expect(`edgevoy: listener ${listener.name} has access logs or tracing but their module is not loaded: await loadObservers() before building the app`)
    obs = loaded.buildObservers(snapshot, listener, deps)
  }
  const startTrace = obs?.startTrace
  const stats = deps.stats ?? isolateStats
  const generateId = listener.generateRequestId !== false
  const statNames = listenerStats(listener.statPrefix)

  const done = (c: Context<ProxyEnv>, o: Observation, analytics: AnalyticsBinding | undefined, localSize: number | undefined): void => {
    // Envoy writes the access log when the stream ends: for a streamed upstream
    // body that is its last byte (or its reset, whose flag the line carries).
    const finish = (outcome?: BodyOutcome) => {
      const record = buildRecord(c, o.request, o.startTime, deps.now(), o.requestId, o.trace, localSize, outcome)
      obs?.log(record)
      recordStats(stats, statNames, record)
      if (analytics) writeRequestPoint(analytics, listener.name, record)
      obs?.span(c, o.trace, record, waitUntil)
    }
    const bodyDone = c.get('bodyDone') as Promise<BodyOutcome> | BodyOutcome | undefined
    if (bodyDone instanceof Promise) waitUntil(c, bodyDone.then(finish))
    else finish(bodyDone)
  }

  return {
    start(request) {
      const startTime = deps.now()
      // The connection manager's request: its header map is the one every later stage changes in place, so the log reads it as they leave it.
      const header = request.headers.get('x-request-id')
      let requestId = header || undefined
      // Envoy generates the id at the connection manager, so the log, the trace and the upstream all see the same one.
      const generated = !requestId && generateId ? (requestId = crypto.randomUUID()) : undefined
      let trace: TraceContext | undefined
      if (startTrace) trace = startTrace(request, generated)
      else if (generated) setRequestId(request, generated)
      return { startTime, request, requestId, requestIdHeader: generated ?? header ?? undefined, trace }
    },
    finish(c, o) {
      // Only an access log, a span or an Analytics Engine point reports the bytes sent: for stats alone a local reply's body is not read again.
      const analytics = analyticsBinding(c.env)
      if (!obs && !analytics) return done(c, o, analytics, undefined)
      const localSize = localReplySize(c)
      if (localSize instanceof Promise) return localSize.then((size) => done(c, o, analytics, size))
      done(c, o, analytics, localSize)
    },
  }
}

/**
 * The generated id goes into the request's headers in place: the connection
 * manager stage (src/router/downstream.ts) already made them this isolate's
 * copy — no copy of the request. The log reads x-request-id from the record's
 * requestId, so it sees the same.
 */
function setRequestId(request: Request, id: string): void {
  request.headers.set('x-request-id', id)
}

/** Envoy's `%RESPONSE_FLAGS%`: from the ProxyError that produced the answer, NR for no route, and any a filter set. */
export function responseFlags(c: Context<ProxyEnv>): string[] {
  const flags: string[] = []
  // c.get, not c.var: Hono builds c.var as a fresh object on every read.
  const set = c.get('responseFlags') as readonly string[] | undefined
  if (set) flags.push(...set)
  if (isProxyError(c.error) && c.error.flag && !flags.includes(c.error.flag)) flags.push(c.error.flag)
  const decision = c.get('decision') as ProxyEnv['Variables']['decision'] | undefined
  if (decision && !decision.route && !flags.includes('NR')) flags.push('NR')
  return flags
}

/**
 * Size of a body edgevoy made itself (local reply, redirect, direct response):
 * small and in memory. A promise only when that body must be read for it.
 */
function localReplySize(c: Context<ProxyEnv>): number | undefined | Promise<number> {
  if (c.res.body === null) return 0
  const local = isProxyError(c.error) || c.get('upstreamHost') === undefined
  if (!local || c.res.headers.has('content-length')) return undefined
  return c.res.clone().arrayBuffer().then((b) => b.byteLength)
}

function buildRecord(
  c: Context<ProxyEnv>,
  request: Request,
  startTime: number,
  end: number,
  requestId: string | undefined,
  trace: TraceContext | undefined,
  localSize: number | undefined,
  body?: BodyOutcome,
): LogRecord {
  const res = c.res
  const flags = responseFlags(c)
  const reset = body?.error
  if (reset?.flag && !flags.includes(reset.flag)) flags.push(reset.flag)
  const upstreamHost = c.get('upstreamHost')
  const length = (h: Headers) => {
    const v = h.get('content-length')
    return v === null ? undefined : Number(v)
  }
  const details = reset ? reset.code : isProxyError(c.error) ? c.error.code : flags.includes('NR') ? 'route_not_found' : upstreamHost ? 'via_upstream' : undefined
  return {
    startTime,
    durationMs: Math.max(0, Math.round(end - startTime)),
    request,
    requestId,
    responseCode: res.status,
    responseHeaders: res.headers,
    responseFlags: flags,
    responseCodeDetails: details,
    upstreamHost,
    upstreamCluster: c.get('upstreamCluster'),
    upstreamFailure: flags.includes('UF') ? 'connection_failure' : undefined,
    routeName: (c.get('decision') as ProxyEnv['Variables']['decision'] | undefined)?.route?.name,
    bytesReceived: length(request.headers) ?? 0,
    bytesSent: body ? body.bytes : (length(res.headers) ?? localSize),
    // Read when asked (%PROTOCOL%, a span's tag): on Cloudflare the first read of `request.cf` makes its ~30 properties a JS object, which stats alone never need.
    get protocol() {
      return (request as { cf?: { httpProtocol?: string } }).cf?.httpProtocol ?? 'HTTP/1.1'
    },
    // The connection manager's remote address (xff_num_trusted_hops may pick it from x-forwarded-for).
    clientIp: (c.get('downstream') as { remoteAddress?: string } | undefined)?.remoteAddress ?? request.headers.get('cf-connecting-ip') ?? undefined,
    traceId: trace?.traceId,
  }
}

/** After the response: the Worker's ctx when there is one (app.request() in tests has none). */
function waitUntil(c: Context<ProxyEnv>, promise: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(promise)
  } catch {
    void promise
  }
}
