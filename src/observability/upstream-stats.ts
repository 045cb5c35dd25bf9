/**
 * The upstream stats that live in the cluster manager's per-isolate state
 * (retries, overflows, ejections, panic, membership), copied into the stats
 * store under Envoy's names when stats are read, so the upstream code keeps
 * one set of counters and the stats endpoints show them.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats
 */
import type { ClusterStatus } from '../upstream/cluster-status.js'
import type { StatsStore } from './stats.js'

export function syncUpstreamStats(store: StatsStore, statuses: Iterable<ClusterStatus>, now: number): void {
  for (const s of statuses) {
    const p = `cluster.${s.name}.`
    const c = s.counters
    store.counters.set(`${p}upstream_rq_retry`, c.retries)
    store.counters.set(`${p}upstream_rq_retry_overflow`, c.retryOverflows)
    store.counters.set(`${p}upstream_rq_pending_overflow`, c.requestOverflows)
    store.counters.set(`${p}outlier_detection.ejections_total`, c.outlierEjections)
    store.counters.set(`${p}lb_healthy_panic`, c.panics)
    store.gauges.set(`${p}upstream_rq_active`, c.activeRequests)
    store.gauges.set(`${p}outlier_detection.ejections_active`, s.hosts.filter((h) => h.ejectedUntil !== undefined && h.ejectedUntil > now).length)
    store.gauges.set(`${p}membership_total`, s.hosts.length)
    store.gauges.set(`${p}membership_healthy`, s.hosts.filter((h) => h.health === 'healthy').length)
  }
}
