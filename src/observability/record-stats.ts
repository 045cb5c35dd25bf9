/**
 * One finished request → Envoy's listener and cluster stats.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/stats
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats
 */
import type { LogRecord } from './access-log/record.js'
import type { StatsSink } from './stats.js'

/** A stat prefix's names, built once per prefix (by status class and code on first use), not per request. */
interface Names {
  readonly base: string
  readonly byKey: Map<string | number, string>
}
const prefixes = new Map<string, Names>()
function names(base: string): Names {
  let n = prefixes.get(base)
  if (n === undefined) prefixes.set(base, (n = { base, byKey: new Map() }))
  return n
}
function stat(n: Names, key: string | number, make: () => string): string {
  let name = n.byKey.get(key)
  if (name === undefined) n.byKey.set(key, (name = make()))
  return name
}

/** A listener's `http.<stat_prefix>.` names, taken once when its app is built. */
export type ListenerStats = Names
export function listenerStats(statPrefix: string): ListenerStats {
  return names(`http.${statPrefix}.`)
}

export function recordStats(stats: StatsSink, http: ListenerStats, r: LogRecord): void {
  const klass = Math.floor(r.responseCode / 100)
  stats.counter(stat(http, 'downstream_rq_total', () => `${http.base}downstream_rq_total`))
  stats.counter(stat(http, 'downstream_rq_completed', () => `${http.base}downstream_rq_completed`))
  stats.counter(stat(http, klass, () => `${http.base}downstream_rq_${klass}xx`))
  stats.histogram(stat(http, 'downstream_rq_time', () => `${http.base}downstream_rq_time`), r.durationMs)
  const flags = r.responseFlags
  if (flags.length > 0) {
    if (flags.includes('NR')) stats.counter(`${http.base}no_route`)
    if (flags.includes('RL')) stats.counter(`${http.base}local_rate_limit.rate_limited`)
    // The client went away mid-request (Envoy: downstream_cx_destroy_remote_active_rq); never a host's failure.
    if (flags.includes('DC')) stats.counter(`${http.base}downstream_cx_destroy_remote_active_rq`)
    if (flags.includes('SI')) stats.counter(`${http.base}downstream_rq_idle_timeout`)
  }
  if (r.responseCodeDetails === 'request_timeout') stats.counter(`${http.base}downstream_rq_timeout`)
  if (r.responseCodeDetails === 'max_duration_timeout') stats.counter(`${http.base}downstream_rq_max_duration_reached`)
  // An upgrade refused for want of upgrade_configs (Envoy names the stat after WebSockets whatever the type).
  if (r.responseCodeDetails === 'upgrade_failed') stats.counter(`${http.base}downstream_rq_ws_on_non_ws_route`)

  if (!r.upstreamCluster) return
  const cluster = names(`cluster.${r.upstreamCluster}.`)
  if (flags.includes('UH')) stats.counter(`${cluster.base}upstream_cx_none_healthy`)
  if (flags.includes('UO')) stats.counter(`${cluster.base}upstream_rq_pending_overflow`)
  if (!r.upstreamHost) return
  // A connect failure never became an upstream request; Envoy still charges the 503 it answered with.
  if (flags.includes('UF')) stats.counter(`${cluster.base}upstream_cx_connect_fail`)
  else stats.counter(stat(cluster, 'upstream_rq_total', () => `${cluster.base}upstream_rq_total`))
  if (flags.includes('UT')) stats.counter(`${cluster.base}upstream_rq_timeout`)
  stats.counter(stat(cluster, 'upstream_rq_completed', () => `${cluster.base}upstream_rq_completed`))
  stats.counter(stat(cluster, klass, () => `${cluster.base}upstream_rq_${klass}xx`))
  const code = r.responseCode
  stats.counter(stat(cluster, code * 10, () => `${cluster.base}upstream_rq_${code}`))
  stats.histogram(stat(cluster, 'upstream_rq_time', () => `${cluster.base}upstream_rq_time`), r.durationMs)
}
