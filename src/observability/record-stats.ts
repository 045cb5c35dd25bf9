/**
 * One finished request → Envoy's listener and cluster stats.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/stats
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats
 */
import type { LogRecord } from './access-log/record.js'
import type { StatsSink } from './stats.js'

export function recordStats(stats: StatsSink, statPrefix: string, r: LogRecord): void {
  const http = `http.${statPrefix}.`
  const klass = `${Math.floor(r.responseCode / 100)}xx`
  stats.counter(`${http}downstream_rq_total`)
  stats.counter(`${http}downstream_rq_completed`)
  stats.counter(`${http}downstream_rq_${klass}`)
  stats.histogram(`${http}downstream_rq_time`, r.durationMs)
  if (r.responseFlags.includes('NR')) stats.counter(`${http}no_route`)
  if (r.responseFlags.includes('RL')) stats.counter(`${http}local_rate_limit.rate_limited`)
  // The client went away mid-request (Envoy: downstream_cx_destroy_remote_active_rq); never a host's failure.
  if (r.responseFlags.includes('DC')) stats.counter(`${http}downstream_cx_destroy_remote_active_rq`)
  if (r.responseFlags.includes('SI')) stats.counter(`${http}downstream_rq_idle_timeout`)
  if (r.responseCodeDetails === 'request_timeout') stats.counter(`${http}downstream_rq_timeout`)
  if (r.responseCodeDetails === 'max_duration_timeout') stats.counter(`${http}downstream_rq_max_duration_reached`)
  // An upgrade refused for want of upgrade_configs (Envoy names the stat after WebSockets whatever the type).
  if (r.responseCodeDetails === 'upgrade_failed') stats.counter(`${http}downstream_rq_ws_on_non_ws_route`)

  if (!r.upstreamCluster) return
  const cluster = `cluster.${r.upstreamCluster}.`
  if (r.responseFlags.includes('UH')) stats.counter(`${cluster}upstream_cx_none_healthy`)
  if (r.responseFlags.includes('UO')) stats.counter(`${cluster}upstream_rq_pending_overflow`)
  if (!r.upstreamHost) return
  // A connect failure never became an upstream request; Envoy still charges the 503 it answered with.
  if (r.responseFlags.includes('UF')) stats.counter(`${cluster}upstream_cx_connect_fail`)
  else stats.counter(`${cluster}upstream_rq_total`)
  if (r.responseFlags.includes('UT')) stats.counter(`${cluster}upstream_rq_timeout`)
  stats.counter(`${cluster}upstream_rq_completed`)
  stats.counter(`${cluster}upstream_rq_${klass}`)
  stats.counter(`${cluster}upstream_rq_${r.responseCode}`)
  stats.histogram(`${cluster}upstream_rq_time`, r.durationMs)
}
