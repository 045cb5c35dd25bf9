/**
 * Cluster configs → Clusters with their Hosts. A hostname that the local
 * resolve map knows becomes one Host per address, as Envoy's STRICT_DNS
 * makes one host per resolved address.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/service_discovery#strict-dns
 */
import type { ClusterConfig } from '../config/schema/cluster.js'
import { hashJson } from './hash.js'
import type { Cluster, Host, HostHealthStatus } from './types.js'

export type ResolveMap = Readonly<Record<string, readonly string[]>>

const edgevoyMeta = (m: { filter_metadata?: Record<string, Record<string, unknown>> | undefined } | undefined) =>
  (m?.filter_metadata?.edgevoy ?? {}) as { binding?: unknown }

export function compileCluster(c: ClusterConfig, resolve: ResolveMap = {}): Cluster {
  const clusterBinding = typeof edgevoyMeta(c.metadata).binding === 'string' ? (edgevoyMeta(c.metadata).binding as string) : undefined
  const tls = c.transport_socket !== undefined && String((c.transport_socket as { name?: unknown }).name ?? 'tls').includes('tls')
  const hosts: Host[] = []
  for (const locality of c.load_assignment?.endpoints ?? []) {
    for (const lb of locality.lb_endpoints) {
      const sa = lb.endpoint.address.socket_address
      const port = sa.port_value ?? (tls ? 443 : 80)
      const meta = edgevoyMeta(lb.metadata)
      const binding = typeof meta.binding === 'string' ? meta.binding : clusterBinding
      const addresses = resolve[sa.address] ?? [`${sa.address}`]
      for (const resolved of addresses) {
        const [ip, resolvedPort] = splitHostPort(resolved)
        const p = resolvedPort ?? port
        const scheme = tls || p === 443 ? 'https' : 'http'
        const hostPart = ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip
        hosts.push({
          address: `${hostPart}:${p}`,
          hostname: lb.endpoint.hostname ?? sa.address,
          port: p,
          origin: `${scheme}://${hostPart}${(scheme === 'https' && p === 443) || (scheme === 'http' && p === 80) ? '' : `:${p}`}`,
          weight: lb.load_balancing_weight ?? 1,
          priority: locality.priority ?? 0,
          locality: { region: locality.locality?.region, zone: locality.locality?.zone, subZone: locality.locality?.sub_zone },
          localityWeight: locality.load_balancing_weight,
          configuredHealth: (lb.health_status ?? 'UNKNOWN') as HostHealthStatus,
          binding,
          metadata: lb.metadata?.filter_metadata ?? {},
        })
      }
    }
  }
  const { name, type, lb_policy, connect_timeout, load_assignment, metadata, transport_socket, ...rest } = c
  const extensions = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined))
  return {
    name,
    type: type ?? 'STATIC',
    lbPolicy: lb_policy ?? 'ROUND_ROBIN',
    hosts,
    connectTimeoutMs: connect_timeout ?? 5000,
    tls,
    extensions: { ...extensions, ...(metadata ? { metadata } : {}), ...(load_assignment?.policy ? { policy: load_assignment.policy } : {}) },
    hash: hashJson({ c, resolved: hosts.map((h) => h.address) }),
  }
}

function splitHostPort(s: string): [string, number | undefined] {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(s)
  return m ? [m[1]!, Number(m[2])] : [s, undefined]
}
