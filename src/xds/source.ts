/**
 * Where a bootstrap's `dynamic_resources` say to poll: for CDS (and the EDS it
 * implies) and LDS (and RDS), the one REST cluster named in
 * `api_config_source.cluster_names`, reached at its first endpoint. RDS and
 * EDS go to the same control plane as the LDS/CDS that named them (what
 * `ads: {}`-less sidecar configs do in practice; their own config_source is
 * not read).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/config_source.proto#config-core-v3-apiconfigsource
 */

import { connectionManagers } from './resources.js'

type Json = Record<string, unknown>

export interface XdsSource {
  /**
   * `http(s)://host:port[/prefix]`; requests go to `${baseUrl}/v3/discovery:<kind>`.
   * The prefix comes from the xDS cluster's `metadata.filter_metadata.edgevoy.path_prefix`
   * (an edgevoy extension: Envoy's REST path is fixed), e.g. `/__admin/xds` to
   * poll another edgevoy's admin xDS directly.
   */
  readonly baseUrl: string
  readonly clusterName: string
  readonly refreshDelayMs: number
  /** Envoy's default for REST sources is 1s. */
  readonly requestTimeoutMs: number
}

export type XdsSources =
  | {
      readonly ok: true
      readonly cds?: XdsSource
      readonly lds?: XdsSource
      /** RDS named by a static listener's `rds.config_source` (else RDS goes to the LDS source). */
      readonly rds?: XdsSource
      /** EDS named by a static cluster's `eds_cluster_config.eds_config` (else EDS goes to the CDS source). */
      readonly eds?: XdsSource
      readonly refreshDelayMs: number
    }
  | { readonly ok: false; readonly message: string }

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Proto-JSON Duration ("1.5s", { seconds, nanos }) in ms. */
export function durationMs(d: unknown, fallback: number): number {
  if (typeof d === 'string' && /^\d+(\.\d+)?s$/.test(d)) return Number(d.slice(0, -1)) * 1000
  if (typeof d === 'number') return d * 1000
  if (isObject(d)) return Number(d.seconds ?? 0) * 1000 + Number(d.nanos ?? 0) / 1e6
  return fallback
}

function sourceOf(seed: Json, configSource: unknown, what: string): XdsSource | string {
  const api = isObject(configSource) && isObject(configSource.api_config_source) ? configSource.api_config_source : undefined
  if (!api) return `${what} has no api_config_source`
  const clusterName = Array.isArray(api.cluster_names) ? String(api.cluster_names[0]) : ''
  const sr = isObject(seed.static_resources) ? seed.static_resources : {}
  const cluster = (Array.isArray(sr.clusters) ? sr.clusters : []).find((c): c is Json => isObject(c) && c.name === clusterName)
  if (!cluster) return `${what} names cluster "${clusterName}", which is not in static_resources.clusters`
  const la = isObject(cluster.load_assignment) ? cluster.load_assignment : {}
  const lle = (la.endpoints as Json[] | undefined)?.[0]
  const lb = (lle?.lb_endpoints as Json[] | undefined)?.[0]
  const sa = ((lb?.endpoint as Json | undefined)?.address as Json | undefined)?.socket_address as Json | undefined
  if (!sa || typeof sa.address !== 'string') return `cluster "${clusterName}" has no endpoint address to reach the control plane at`
  const scheme = cluster.transport_socket ? 'https' : 'http'
  const port = sa.port_value === undefined ? '' : `:${String(sa.port_value)}`
  const prefix = pathPrefixOf(cluster)
  if (prefix === undefined) return `cluster "${clusterName}": metadata.filter_metadata.edgevoy.path_prefix must be a path starting with "/"`
  return {
    baseUrl: `${scheme}://${sa.address}${port}${prefix}`,
    clusterName,
    refreshDelayMs: durationMs(api.refresh_delay, 1000),
    requestTimeoutMs: durationMs(api.request_timeout, 1000),
  }
}

/** The xDS cluster's `edgevoy.path_prefix` without its trailing slash ('' when absent), or undefined when malformed. */
function pathPrefixOf(cluster: Json): string | undefined {
  const meta = isObject(cluster.metadata) && isObject(cluster.metadata.filter_metadata) ? cluster.metadata.filter_metadata.edgevoy : undefined
  const prefix = isObject(meta) ? meta.path_prefix : undefined
  if (prefix === undefined) return ''
  return typeof prefix === 'string' && prefix.startsWith('/') && !/[?#]/.test(prefix) ? prefix.replace(/\/+$/, '') : undefined
}

/**
 * The REST sources of a (validated) seed bootstrap, or why there are none:
 * dynamic_resources' CDS and LDS, and the RDS and EDS sources that static
 * listeners (`rds:`) and static EDS clusters (`eds_cluster_config.eds_config`)
 * name — the most common xDS layout has static listeners and clusters and
 * only routes or endpoints from the control plane.
 */
export function xdsSources(seed: Json): XdsSources {
  const dr = isObject(seed.dynamic_resources) ? seed.dynamic_resources : {}
  const sr = isObject(seed.static_resources) ? seed.static_resources : {}
  const rdsConfig = (Array.isArray(sr.listeners) ? sr.listeners : []).filter(isObject).flatMap(connectionManagers).map((hcm) => (isObject(hcm.rds) ? hcm.rds.config_source : undefined)).find((c) => c !== undefined)
  const edsConfig = (Array.isArray(sr.clusters) ? sr.clusters : [])
    .filter((c): c is Json => isObject(c) && String(c.type ?? '').toUpperCase() === 'EDS' && isObject(c.eds_cluster_config) && c.eds_cluster_config.eds_config !== undefined)
    .map((c) => (c.eds_cluster_config as Json).eds_config)[0]
  if (!dr.cds_config && !dr.lds_config && rdsConfig === undefined && edsConfig === undefined)
    return { ok: false, message: 'the bootstrap has no dynamic_resources.cds_config or lds_config, no listener using rds and no EDS cluster with an eds_config' }
  const cds = dr.cds_config ? sourceOf(seed, dr.cds_config, 'dynamic_resources.cds_config') : undefined
  const lds = dr.lds_config ? sourceOf(seed, dr.lds_config, 'dynamic_resources.lds_config') : undefined
  const rds = rdsConfig !== undefined ? sourceOf(seed, rdsConfig, 'the listener\'s rds.config_source') : undefined
  const eds = edsConfig !== undefined ? sourceOf(seed, edsConfig, 'the cluster\'s eds_cluster_config.eds_config') : undefined
  for (const s of [cds, lds, rds, eds]) if (typeof s === 'string') return { ok: false, message: s }
  const found = [cds, lds, rds, eds].filter((s): s is XdsSource => s !== undefined && typeof s !== 'string')
  const refreshDelayMs = Math.min(...found.map((s) => s.refreshDelayMs))
  const pick = (s: XdsSource | string | undefined) => (s !== undefined && typeof s !== 'string' ? s : undefined)
  return {
    ok: true,
    ...(pick(cds) ? { cds: pick(cds)! } : {}),
    ...(pick(lds) ? { lds: pick(lds)! } : {}),
    ...(pick(rds) ? { rds: pick(rds)! } : {}),
    ...(pick(eds) ? { eds: pick(eds)! } : {}),
    refreshDelayMs,
  }
}
