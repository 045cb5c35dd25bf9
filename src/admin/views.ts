/**
 * Read-only views of what this isolate serves, in the shapes of Envoy's admin
 * endpoints: `/config_dump` and `/clusters` (JSON and the text line format).
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--config_dump
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--clusters
 */
import type { Cluster, Host, HostHealthStatus } from '../compile/types.js'
import type { Serving } from '../state/serving.js'
import type { ClusterStatus, HostStatus } from '../upstream/cluster-status.js'

type Json = Record<string, unknown>
const T = 'type.googleapis.com/envoy.admin.v3.'

/**
 * Envoy's ConfigDump: bootstrap, clusters, listeners and routes. The base
 * config is Envoy's `static_*`; a version pushed through the admin API is the
 * `dynamic_*` part, with its `version_info`, as xDS would have delivered it.
 */
export function configDump(serving: Serving): Json {
  const config = (serving.config ?? {}) as Json
  const sr = (config.static_resources ?? {}) as { clusters?: Json[]; listeners?: Json[] }
  const dynamic = serving.version > 0
  const version_info = String(serving.version)
  const last_updated = serving.updatedAt
  const clusters = (sr.clusters ?? []).map((c) => ({ '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', ...c }))
  const listeners: Json[] = (sr.listeners ?? []).map((l) => ({ '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', ...l }))
  const routes = (sr.listeners ?? []).flatMap((l) => {
    const rc = ((l.filter_chains as Json[] | undefined)?.[0]?.filters as Json[] | undefined)?.[0]?.typed_config as Json | undefined
    return rc?.route_config ? [{ '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', ...(rc.route_config as Json) }] : []
  })
  return {
    configs: [
      { '@type': `${T}BootstrapConfigDump`, bootstrap: config, last_updated },
      dynamic
        ? { '@type': `${T}ClustersConfigDump`, version_info, dynamic_active_clusters: clusters.map((cluster) => ({ version_info, cluster, last_updated })) }
        : { '@type': `${T}ClustersConfigDump`, static_clusters: clusters.map((cluster) => ({ cluster, last_updated })) },
      dynamic
        ? { '@type': `${T}ListenersConfigDump`, version_info, dynamic_listeners: listeners.map((l) => ({ name: l.name, active_state: { version_info, listener: l, last_updated } })) }
        : { '@type': `${T}ListenersConfigDump`, static_listeners: listeners.map((listener) => ({ listener, last_updated })) },
      dynamic
        ? { '@type': `${T}RoutesConfigDump`, dynamic_route_configs: routes.map((route_config) => ({ version_info, route_config, last_updated })) }
        : { '@type': `${T}RoutesConfigDump`, static_route_configs: routes.map((route_config) => ({ route_config, last_updated })) },
    ],
  }
}

/** Envoy's `health_flags` for a configured (EDS) health status, when the upstream state has none. */
function configuredFlags(status: HostHealthStatus): string {
  if (status === 'UNHEALTHY' || status === 'DRAINING' || status === 'TIMEOUT') return '/failed_eds_health'
  if (status === 'DEGRADED') return '/degraded_eds_health'
  return 'healthy'
}

/** The isolate's upstream state of a cluster (active checks, outlier ejections, counters), if available. */
function statusOf(c: Cluster, upstreamStatus: UpstreamStatus): ClusterStatus | undefined {
  try {
    return upstreamStatus(c)
  } catch {
    return undefined
  }
}

/** `healthy`, or Envoy's `/flag/flag` form. */
function healthFlags(h: Host, s: HostStatus | undefined): string {
  if (!s) return configuredFlags(h.configuredHealth)
  return s.healthFlags.length ? s.healthFlags.map((f) => `/${f}`).join('') : 'healthy'
}

const isoTime = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())

/** Envoy's `/clusters?format=json` shape (admin.v3.Clusters), with what edgevoy knows of each host. */
/** This isolate's upstream state of a cluster (upstream/cluster-status.ts upstreamStatus). */
export type UpstreamStatus = (cluster: Cluster) => ClusterStatus

export function clustersJson(serving: Serving, upstreamStatus: UpstreamStatus): Json {
  return {
    config_version: String(serving.version),
    cluster_statuses: [...serving.snapshot.clusters.values()].map((c) => {
      const status = statusOf(c, upstreamStatus)
      return {
        name: c.name,
        type: c.type,
        lb_policy: c.lbPolicy,
        added_via_api: serving.version > 0,
        ...(status ? { stats: status.counters } : {}),
        // edgevoy's: the load share per priority (percent) and when the health authority last reported.
        ...(status ? { priority_loads: status.priorityLoad, health_report_at: isoTime(status.healthReportAt) } : {}),
        host_statuses: c.hosts.map((h) => hostJson(h, status?.hosts.find((s) => s.address === h.address))),
      }
    }),
  }
}

function hostJson(h: Host, s: HostStatus | undefined): Json {
  return {
    address: { socket_address: { address: h.address.slice(0, h.address.lastIndexOf(':')), port_value: h.port } },
    hostname: h.hostname,
    weight: h.weight,
    priority: h.priority,
    locality: { region: h.locality.region ?? '', zone: h.locality.zone ?? '', sub_zone: h.locality.subZone ?? '' },
    health_status: { eds_health_status: h.configuredHealth, flags: healthFlags(h, s) },
    ...(s
      ? {
          // Envoy's per-host stats (admin.v3.HostStatus.stats): this isolate's picks and requests in flight.
          stats: [
            { name: 'rq_total', type: 'COUNTER', value: s.picks },
            { name: 'rq_active', type: 'GAUGE', value: s.active },
          ],
          picks: s.picks,
          active: s.active,
          health: s.health,
          outlier: { ejections: s.ejections, reason: s.ejectionReason ?? null, ejected_until: isoTime(s.ejectedUntil) },
          active_check: s.activeCheck
            ? { checks: s.activeCheck.checks, consecutive_failures: s.activeCheck.consecutiveFailures, consecutive_successes: s.activeCheck.consecutiveSuccesses, last_pass_at: isoTime(s.activeCheck.lastPassAt) }
            : null,
        }
      : {}),
    ...(h.binding ? { binding: h.binding } : {}),
  }
}

/**
 * Envoy's text format: `cluster::observability_name::x`, then one
 * `cluster::host:port::key::value` line per host property. Request counters
 * are this isolate's, per cluster (not yet per host).
 */
export function clustersText(serving: Serving, upstreamStatus: UpstreamStatus): string {
  const lines: string[] = []
  for (const c of serving.snapshot.clusters.values()) {
    const status = statusOf(c, upstreamStatus)
    lines.push(`${c.name}::observability_name::${c.name}`, `${c.name}::added_via_api::${serving.version > 0}`)
    if (status) lines.push(`${c.name}::upstream_rq_total::${status.counters.rq}`, `${c.name}::upstream_rq_retry::${status.counters.retries}`, `${c.name}::upstream_rq_active::${status.counters.activeRequests}`)
    for (const h of c.hosts) {
      const hs = status?.hosts.find((s) => s.address === h.address)
      const at = `${c.name}::${h.address}`
      lines.push(
        `${at}::hostname::${h.hostname}`,
        `${at}::health_flags::${healthFlags(h, hs)}`,
        `${at}::weight::${h.weight}`,
        `${at}::region::${h.locality.region ?? ''}`,
        `${at}::zone::${h.locality.zone ?? ''}`,
        `${at}::sub_zone::${h.locality.subZone ?? ''}`,
        `${at}::canary::false`,
        `${at}::priority::${h.priority}`,
        `${at}::success_rate::-1`,
        `${at}::local_origin_success_rate::-1`,
      )
    }
  }
  return `${lines.join('\n')}\n`
}
