/**
 * What `GET /__admin/clusters` shows per cluster: each host's health flags
 * (Envoy prints them as `health_flags::/failed_active_hc/failed_outlier_check`),
 * ejections and reason, and this isolate's counters.
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--clusters
 */
import type { Cluster, Host } from '../compile/types.js'
import type { BreakerCounters } from './circuit-breaker.js'
import type { ClusterManager, ClusterState } from './cluster-manager.js'
import { coarseHealth, type CoarseHealth, type HealthFlag } from './health/flags.js'
import { lbStats } from './lb/stats.js'
import type { EjectionReason } from './outlier.js'

export interface HostStatus {
  readonly address: string
  readonly priority: number
  readonly weight: number
  readonly health: CoarseHealth
  /** Envoy's flag names, lower case as the admin page prints them. */
  readonly healthFlags: readonly string[]
  readonly ejections: number
  readonly ejectionReason: EjectionReason | undefined
  readonly ejectedUntil: number | undefined
  /** From the health authority (active checks), when it has reported. */
  /** This isolate's load-balancer picks of the host (`rq_total`) and requests in flight (`rq_active`). */
  readonly picks: number
  readonly active: number
  readonly activeCheck: { readonly consecutiveFailures: number; readonly consecutiveSuccesses: number; readonly checks: number; readonly lastPassAt: number | undefined } | undefined
}

export interface ClusterStatus {
  readonly name: string
  readonly hosts: readonly HostStatus[]
  /** Per isolate: Envoy's `upstream_rq_*` style counters. */
  readonly counters: BreakerCounters & { readonly rq: number; readonly retries: number; readonly noHealthyUpstream: number; readonly panics: number; readonly outlierEjections: number }
  /** Load share per priority, percent, as last computed. */
  readonly priorityLoad: readonly { readonly priority: number; readonly load: number; readonly panic: boolean }[]
  /** When the health authority last reported (epoch ms), if ever. */
  readonly healthReportAt: number | undefined
}

export function clusterStatus(s: ClusterState, flagsOf: (s: ClusterState, h: Host) => Set<HealthFlag>): ClusterStatus {
  const lb = lbStats(s.cluster.name)
  return {
    name: s.cluster.name,
    hosts: s.cluster.hosts.map((h) => {
      const flags = flagsOf(s, h)
      const outlier = s.outlier?.info(h.address)
      const r = s.report?.hosts[h.address]
      return {
        address: h.address,
        priority: h.priority,
        weight: h.weight,
        health: coarseHealth(flags),
        healthFlags: [...flags].map((f) => f.toLowerCase()),
        ejections: outlier?.ejections ?? 0,
        ejectionReason: outlier?.reason,
        ejectedUntil: outlier?.ejectedUntil,
        picks: lb[h.address]?.picks ?? 0,
        active: lb[h.address]?.active ?? 0,
        activeCheck: r ? { consecutiveFailures: r.consecutiveFailures, consecutiveSuccesses: r.consecutiveSuccesses, checks: r.checks, lastPassAt: r.lastPassAt } : undefined,
      }
    }),
    counters: { ...s.breaker.counters, ...s.counters, outlierEjections: s.outlier?.totalEjections ?? 0 },
    priorityLoad: (s.plan?.levels ?? []).map((l) => ({ priority: l.priority, load: l.load, panic: l.panic })),
    healthReportAt: s.report?.generatedAt,
  }
}

/**
 * Every host's flags, ejections and the cluster's counters in this isolate's
 * cluster manager, for `GET /__admin/clusters` and the stats: the control
 * plane's (admin/app.ts), so the data-plane entry does not carry it.
 */
export const upstreamStatus = (clusters: ClusterManager, cluster: Cluster): ClusterStatus => clusterStatus(clusters.state(cluster), (s, h) => clusters.flags(s, h))
