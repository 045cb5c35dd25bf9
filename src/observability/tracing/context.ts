/**
 * Trace context in and out: W3C `traceparent`/`tracestate` and Zipkin's B3
 * (`x-b3-*` or the single `b3` header). Each hop gets a new span id whose
 * parent is the caller's span, as Envoy's Zipkin tracer does.
 * https://www.w3.org/TR/trace-context/#traceparent-header
 * https://github.com/openzipkin/b3-propagation
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/observability/tracing
 */

export interface TraceContext {
  /** 32 hex digits (64-bit B3 ids are left-padded with zeros). */
  readonly traceId: string
  /** This hop's span: 16 hex digits. */
  readonly spanId: string
  /** The caller's span id, when the request carried one. */
  readonly parentId: string | undefined
  readonly sampled: boolean
  /** B3 debug flag (`x-b3-flags: 1`). */
  readonly debug: boolean
}

/** What the request carried: ids, and the caller's sampling decision if it made one. */
export interface IncomingTrace {
  readonly traceId: string
  readonly spanId: string | undefined
  readonly sampled: boolean | undefined
  readonly debug: boolean
}

const HEX = /^[0-9a-f]+$/

export function randomHex(bytes: number, random: () => number): string {
  let out = ''
  for (let i = 0; i < bytes; i++) out += Math.floor(random() * 256).toString(16).padStart(2, '0')
  return out
}

/** traceparent first (the W3C standard), then single-header b3, then x-b3-*. */
export function extractTrace(headers: Headers): IncomingTrace | undefined {
  return fromTraceparent(headers.get('traceparent')) ?? fromB3Single(headers.get('b3')) ?? fromB3Multi(headers)
}

function fromTraceparent(value: string | null): IncomingTrace | undefined {
  const m = value ? /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value.trim()) : null
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined
  return { traceId: m[2]!, spanId: m[3]!, sampled: (parseInt(m[4]!, 16) & 1) === 1, debug: false }
}

function fromB3Single(value: string | null): IncomingTrace | undefined {
  if (!value) return undefined
  const [traceId, spanId, flag] = value.trim().split('-')
  if (!traceId || !validId(traceId) || !spanId || !validSpan(spanId)) return undefined
  return { traceId: traceId.padStart(32, '0'), spanId, sampled: flag === 'd' || flag === '1' ? true : flag === '0' ? false : undefined, debug: flag === 'd' }
}

function fromB3Multi(headers: Headers): IncomingTrace | undefined {
  const traceId = headers.get('x-b3-traceid')?.trim().toLowerCase()
  const spanId = headers.get('x-b3-spanid')?.trim().toLowerCase()
  if (!traceId || !validId(traceId)) return undefined
  const sampledHeader = headers.get('x-b3-sampled')?.trim()
  const debug = headers.get('x-b3-flags')?.trim() === '1'
  const sampled = debug || sampledHeader === '1' || sampledHeader === 'true' ? true : sampledHeader === '0' || sampledHeader === 'false' ? false : undefined
  return { traceId: traceId.padStart(32, '0'), spanId: spanId && validSpan(spanId) ? spanId : undefined, sampled, debug }
}

const validId = (id: string) => (id.length === 16 || id.length === 32) && HEX.test(id)
const validSpan = (id: string) => id.length === 16 && HEX.test(id)

/** This hop's context: continue the caller's trace or start one. */
export function startSpan(incoming: IncomingTrace | undefined, sampled: boolean, random: () => number): TraceContext {
  return {
    traceId: incoming?.traceId ?? randomHex(16, random),
    spanId: randomHex(8, random),
    parentId: incoming?.spanId,
    sampled,
    debug: incoming?.debug ?? false,
  }
}

/** Sets the headers the upstream gets: B3 multi-header and W3C, both naming this hop's span. */
export function injectTrace(headers: Headers, t: TraceContext): void {
  headers.set('x-b3-traceid', t.traceId)
  headers.set('x-b3-spanid', t.spanId)
  if (t.parentId) headers.set('x-b3-parentspanid', t.parentId)
  else headers.delete('x-b3-parentspanid')
  headers.set('x-b3-sampled', t.sampled ? '1' : '0')
  headers.delete('b3')
  headers.set('traceparent', `00-${t.traceId}-${t.spanId}-${t.sampled ? '01' : '00'}`)
  // tracestate is vendor data: passed on untouched (W3C §3.3).
}
