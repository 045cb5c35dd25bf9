/**
 * The connection manager's `access_log` and `tracing` → AccessLogIR and
 * TracingIR: format strings parsed into parts, the tracer found (the HCM's
 * `tracing.provider`, else the bootstrap's `tracing.http`).
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#extensions-filters-network-http-connection-manager-v3-httpconnectionmanager-tracing
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/trace/v3/zipkin.proto
 */
import { OPERATOR_PATTERN, type AccessLogConfig } from '../config/schema/access-log.js'
import type { AccessLogIR, JsonFieldIR, LogFormatPartIR, TracingIR, ZipkinIR } from './ir.js'

/** Envoy's format when none is configured (the trailing newline is the line end). */
export const DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n'

/** A format string → literal text and operators in order. */
export function parseLogFormat(format: string): LogFormatPartIR[] {
  const parts: LogFormatPartIR[] = []
  let last = 0
  for (const m of format.matchAll(OPERATOR_PATTERN)) {
    if (m.index > last) parts.push(format.slice(last, m.index))
    parts.push({ op: m[1]!, ...(m[2] !== undefined ? { arg: m[2] } : {}), ...(m[3] !== undefined ? { max: Number(m[3]) } : {}) })
    last = m.index + m[0].length
  }
  if (last < format.length) parts.push(format.slice(last))
  return parts
}

function jsonFields(format: Record<string, unknown>): JsonFieldIR[] {
  return Object.entries(format).map(([key, v]): JsonFieldIR => {
    if (typeof v === 'string') return { key, format: parseLogFormat(v) }
    if (v !== null && typeof v === 'object') return { key, nested: jsonFields(v as Record<string, unknown>) }
    return { key, literal: v as number | boolean | null }
  })
}

/**
 * A Worker has no files: `path: /dev/stdout`, any other path and the stdout
 * logger all mean the console; the stderr logger means `console.error`.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/access_loggers/file/v3/file.proto
 */
export function lowerAccessLog(entry: AccessLogConfig): AccessLogIR {
  const cfg = entry.typed_config ?? entry.config ?? {}
  const type = typeof cfg['@type'] === 'string' ? cfg['@type'] : ''
  const toStderr = entry.name === 'envoy.access_loggers.stderr' || type.endsWith('.StderrAccessLog') || cfg.path === '/dev/stderr'
  const lf = cfg.log_format
  const omit = lf?.omit_empty_values === true ? { omitEmpty: true as const } : {}
  const json = cfg.json_format ?? cfg.typed_json_format ?? lf?.json_format
  const sink = toStderr ? 'stderr' : 'stdout'
  if (json) return { sink, ...omit, json: jsonFields(json) }
  const text = cfg.format ?? lf?.text_format ?? lf?.text_format_source?.inline_string ?? lf?.text_format_source?.inline_bytes
  return { sink, ...omit, text: parseLogFormat(text ?? DEFAULT_FORMAT) }
}

const ZIPKIN_NAMES = ['envoy.tracers.zipkin', 'envoy.zipkin']

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined)

/** A `type.v3.Percent` (`{ value: 10 }`) or a bare number. */
function percent(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof obj(v)?.value === 'number' ? (obj(v)!.value as number) : undefined
  return n === undefined ? fallback : Math.max(0, Math.min(100, n))
}

/** Tracing is on for a listener only when its connection manager has a `tracing` block (as in Envoy). */
export function lowerTracing(hcmTracing: unknown, bootstrapTracing: unknown): TracingIR | undefined {
  const hcm = obj(hcmTracing)
  if (!hcm) return undefined
  const provider = obj(hcm.provider) ?? obj(obj(bootstrapTracing)?.http)
  const tags: Record<string, string> = {}
  for (const t of Array.isArray(hcm.custom_tags) ? hcm.custom_tags : []) {
    const tag = obj(t)
    const literal = obj(tag?.literal)?.value
    if (typeof tag?.tag === 'string' && typeof literal === 'string') tags[tag.tag] = literal
  }
  const zipkin = zipkinConfig(provider)
  return {
    randomSampling: percent(hcm.random_sampling, 100),
    ...(zipkin ? { zipkin } : {}),
    operationName: typeof hcm.operation_name === 'string' ? hcm.operation_name.toLowerCase() : 'ingress',
    tags,
  }
}

function zipkinConfig(provider: Obj | undefined): ZipkinIR | undefined {
  if (!provider) return undefined
  const cfg = obj(provider.typed_config) ?? obj(provider.config)
  const type = typeof cfg?.['@type'] === 'string' ? (cfg['@type'] as string) : ''
  const isZipkin = (typeof provider.name === 'string' && ZIPKIN_NAMES.includes(provider.name)) || type.endsWith('.ZipkinConfig')
  if (!isZipkin || !cfg || typeof cfg.collector_cluster !== 'string') return undefined
  return {
    collectorCluster: cfg.collector_cluster,
    collectorEndpoint: typeof cfg.collector_endpoint === 'string' ? cfg.collector_endpoint : '/api/v2/spans',
    ...(typeof cfg.collector_hostname === 'string' ? { collectorHostname: cfg.collector_hostname } : {}),
    traceId128bit: cfg.trace_id_128bit === true,
  }
}
