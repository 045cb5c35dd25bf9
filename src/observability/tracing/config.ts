/**
 * How a listener's tracer samples. The compiler decided whether tracing is on
 * (the connection manager has a `tracing` block, as in Envoy) and which
 * provider it uses (`tracing.provider` there, else the bootstrap's `tracing.http`).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#extensions-filters-network-http-connection-manager-v3-httpconnectionmanager-tracing
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/trace/v3/zipkin.proto
 */

import type { TracingConfig } from '../../compile/types.js'

export type { TracingConfig, ZipkinConfig } from '../../compile/types.js'

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
