/**
 * Which tracer a listener uses, and how it samples. Tracing is on for a
 * listener only when its HTTP connection manager has a `tracing` block (as in
 * Envoy); the provider comes from `tracing.provider` there or from the
 * bootstrap's `tracing.http`.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#extensions-filters-network-http-connection-manager-v3-httpconnectionmanager-tracing
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/trace/v3/zipkin.proto
 */

export interface ZipkinConfig {
  readonly collectorCluster: string
  readonly collectorEndpoint: string
  readonly collectorHostname: string | undefined
  readonly traceId128bit: boolean
}

export interface TracingConfig {
  /** Percent of requests sampled when the caller made no decision (`random_sampling`, default 100). */
  readonly randomSampling: number
  /** Zipkin export, or undefined: headers are still propagated, spans are not sent. */
  readonly zipkin: ZipkinConfig | undefined
  /** Span name when the route has no `decorator.operation`. */
  readonly operationName: string
  /** `custom_tags` with a `literal` value. */
  readonly tags: Readonly<Record<string, string>>
}

const ZIPKIN_NAMES = ['envoy.tracers.zipkin', 'envoy.zipkin']

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined)

/** A `type.v3.Percent` (`{ value: 10 }`) or a bare number. */
function percent(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof obj(v)?.value === 'number' ? (obj(v)!.value as number) : undefined
  return n === undefined ? fallback : Math.max(0, Math.min(100, n))
}

/** `hcmTracing` is the connection manager's `tracing` as written; `bootstrapTracing` the bootstrap's `tracing`. */
export function tracingConfig(hcmTracing: unknown, bootstrapTracing: unknown): TracingConfig | undefined {
  const hcm = obj(hcmTracing)
  if (!hcm) return undefined
  const provider = obj(hcm.provider) ?? obj(obj(bootstrapTracing)?.http)
  const tags: Record<string, string> = {}
  for (const t of Array.isArray(hcm.custom_tags) ? hcm.custom_tags : []) {
    const tag = obj(t)
    const literal = obj(tag?.literal)?.value
    if (typeof tag?.tag === 'string' && typeof literal === 'string') tags[tag.tag] = literal
  }
  return {
    randomSampling: percent(hcm.random_sampling, 100),
    zipkin: zipkinConfig(provider),
    operationName: typeof hcm.operation_name === 'string' ? hcm.operation_name.toLowerCase() : 'ingress',
    tags,
  }
}

function zipkinConfig(provider: Obj | undefined): ZipkinConfig | undefined {
  if (!provider) return undefined
  const cfg = obj(provider.typed_config) ?? obj(provider.config)
  const type = typeof cfg?.['@type'] === 'string' ? (cfg['@type'] as string) : ''
  const isZipkin = (typeof provider.name === 'string' && ZIPKIN_NAMES.includes(provider.name)) || type.endsWith('.ZipkinConfig')
  if (!isZipkin || !cfg || typeof cfg.collector_cluster !== 'string') return undefined
  return {
    collectorCluster: cfg.collector_cluster,
    collectorEndpoint: typeof cfg.collector_endpoint === 'string' ? cfg.collector_endpoint : '/api/v2/spans',
    collectorHostname: typeof cfg.collector_hostname === 'string' ? cfg.collector_hostname : undefined,
    traceId128bit: cfg.trace_id_128bit === true,
  }
}

/**
 * Envoy's decision order: a forced trace, then the caller's decision, then
 * `random_sampling`. `x-envoy-force-trace` counts only from internal callers:
 * the connection manager stage (src/router/downstream.ts) removes it from
 * every other request, as Envoy does.
 */
export function shouldSample(config: TracingConfig, forced: boolean, callerDecision: boolean | undefined, random: () => number): boolean {
  if (forced) return true
  if (callerDecision !== undefined) return callerDecision
  return random() * 100 < config.randomSampling
}
