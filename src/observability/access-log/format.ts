/**
 * Envoy's access log format strings: parsed by the compiler
 * (src/compile/observability.ts), bound to operators once per app, rendered per request.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage
 */
import type { LogFormatPartIR } from '../../compile/ir.js'
import type { LogRecord } from './record.js'
import { formatStartTime } from './start-time.js'

/** A value an operator yields: undefined is Envoy's "not set" (`-` in text, null in JSON). */
export type LogValue = string | number | undefined

type Operator = (r: LogRecord) => LogValue

/** One compiled format string: literal text and operators in order. */
export interface CompiledFormat {
  readonly parts: readonly (string | Operator)[]
  /** The string was exactly one operator: JSON keeps the value's type. */
  readonly single: Operator | undefined
}

/** A parsed format → its operators, bound once (when the listener's app is built). */
export function compileFormat(format: readonly LogFormatPartIR[]): CompiledFormat {
  const parts = format.map((p) => (typeof p === 'string' ? p : operator(p.op, p.arg, p.max)))
  const single = parts.length === 1 && typeof parts[0] === 'function' ? parts[0] : undefined
  return { parts, single }
}

/** Text rendering: every unset value is `-`. */
export function renderText(f: CompiledFormat, r: LogRecord, omitEmpty = false): string {
  let out = ''
  for (const p of f.parts) {
    if (typeof p === 'string') out += p
    else {
      const v = p(r)
      out += v === undefined || v === '' ? (omitEmpty ? '' : '-') : String(v)
    }
  }
  return out
}

/** JSON rendering of one value: a lone operator keeps its type, unset is null. */
export function renderJsonValue(f: CompiledFormat, r: LogRecord): string | number | null {
  if (f.single) {
    const v = f.single(r)
    return v === undefined || v === '' ? null : v
  }
  return renderText(f, r)
}

function operator(name: string, arg: string | undefined, max: number | undefined): Operator {
  const op = baseOperator(name, arg)
  if (max === undefined) return op
  return (r) => {
    const v = op(r)
    return typeof v === 'string' ? v.slice(0, max) : v
  }
}

function baseOperator(name: string, arg: string | undefined): Operator {
  switch (name) {
    case 'START_TIME':
      return (r) => formatStartTime(r.startTime, arg)
    case 'REQ':
      return header(arg, (r, h) => requestHeader(r, h))
    case 'REQ_WITHOUT_QUERY':
      return header(arg, (r, h) => requestHeader(r, h)?.split('?')[0])
    case 'RESP':
      return header(arg, (r, h) => r.responseHeaders?.get(h) ?? undefined)
    case 'RESPONSE_CODE':
      return (r) => r.responseCode
    case 'RESPONSE_FLAGS':
      return (r) => r.responseFlags.join(',') || undefined
    case 'RESPONSE_CODE_DETAILS':
      return (r) => r.responseCodeDetails
    case 'DURATION':
    case 'REQUEST_DURATION':
    case 'RESPONSE_DURATION':
      return (r) => r.durationMs
    case 'UPSTREAM_HOST':
      return (r) => r.upstreamHost
    case 'UPSTREAM_CLUSTER':
      return (r) => r.upstreamCluster
    case 'BYTES_RECEIVED':
      return (r) => r.bytesReceived
    case 'BYTES_SENT':
      return (r) => r.bytesSent
    case 'PROTOCOL':
      return (r) => r.protocol
    case 'DOWNSTREAM_REMOTE_ADDRESS':
    case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
      return (r) => r.clientIp
    case 'ROUTE_NAME':
      return (r) => r.routeName
    case 'HOSTNAME':
      return () => 'edgevoy'
    case 'UPSTREAM_TRANSPORT_FAILURE_REASON':
      return (r) => r.upstreamFailure
    case 'TRACE_ID':
      return (r) => r.traceId
    case 'METHOD':
      return (r) => r.request.method
    case 'PATH':
      return (r) => requestHeader(r, ':path')
    default:
      // The schema rejects unknown operators; a literal keeps a bad line visible rather than throwing per request.
      return () => `%${name}%`
  }
}

/** `X?Y`: the first header that is present (Envoy's alternate header). */
function header(arg: string | undefined, read: (r: LogRecord, name: string) => string | undefined): Operator {
  const names = (arg ?? '').split('?').map((n) => n.trim().toLowerCase()).filter(Boolean)
  return (r) => {
    for (const n of names) {
      const v = read(r, n)
      if (v !== undefined && v !== null) return v
    }
    return undefined
  }
}

/** Request headers as Envoy sees them, with its pseudo-headers. */
function requestHeader(r: LogRecord, name: string): string | undefined {
  const url = new URL(r.request.url)
  switch (name) {
    case ':method':
      return r.request.method
    case ':path':
      return url.pathname + url.search
    case ':authority':
    case 'host':
      return r.request.headers.get('host') ?? url.host
    case ':scheme':
      return url.protocol.slice(0, -1)
    case 'x-request-id':
      return r.requestId ?? r.request.headers.get(name) ?? undefined
    default:
      return r.request.headers.get(name) ?? undefined
  }
}
