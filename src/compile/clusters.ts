/**
 * Cluster configs → ClusterIR with their Hosts, resilience and
 * load-balancer settings. A hostname that the local resolve map knows
 * becomes one Host per address, as Envoy's STRICT_DNS makes one host per
 * resolved address.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/service_discovery#strict-dns
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/cluster.proto
 */
import type { ClusterConfig } from '../config/schema/cluster.js'
import { hashJson } from './hash.js'
import { DEFAULT_CLUSTER_LB, MAGLEV_DEFAULT_TABLE_SIZE, RING_HASH_LIMIT, type ClusterIR, type ClusterLbIR, type HostHealthStatusIR, type HostIR } from './ir.js'
import { lowerClusterResilience } from './resilience.js'

export type ResolveMap = Readonly<Record<string, readonly string[]>>

const edgevoyMeta = (m: { filter_metadata?: Record<string, Record<string, unknown>> | undefined } | undefined) =>
  (m?.filter_metadata?.edgevoy ?? {}) as { binding?: unknown; colo_regions?: unknown }

export function lowerCluster(c: ClusterConfig, resolve: ResolveMap = {}): ClusterIR {
  const clusterBinding = typeof edgevoyMeta(c.metadata).binding === 'string' ? (edgevoyMeta(c.metadata).binding as string) : undefined
  const tls = c.transport_socket !== undefined && String((c.transport_socket as { name?: unknown }).name ?? 'tls').includes('tls')
  const hosts: HostIR[] = []
  for (const locality of c.load_assignment?.endpoints ?? []) {
    for (const lb of locality.lb_endpoints) {
      const sa = lb.endpoint.address.socket_address
      const port = sa.port_value ?? (tls ? 443 : 80)
      const meta = edgevoyMeta(lb.metadata)
      const binding = typeof meta.binding === 'string' ? meta.binding : clusterBinding
      const addresses = resolve[sa.address] ?? [`${sa.address}`]
      const where = Object.fromEntries(
        Object.entries({ region: locality.locality?.region, zone: locality.locality?.zone, subZone: locality.locality?.sub_zone }).filter(([, v]) => v !== undefined),
      )
      const weight = lb.load_balancing_weight ?? 1
      const priority = locality.priority ?? 0
      const health = (lb.health_status ?? 'UNKNOWN') as HostHealthStatusIR
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
          ...(weight !== 1 ? { weight } : {}),
          ...(priority !== 0 ? { priority } : {}),
          ...(Object.keys(where).length ? { locality: where } : {}),
          ...(locality.load_balancing_weight !== undefined ? { localityWeight: locality.load_balancing_weight } : {}),
          ...(health !== 'UNKNOWN' ? { configuredHealth: health } : {}),
          ...(binding !== undefined ? { binding } : {}),
          ...(lb.metadata?.filter_metadata ? { metadata: lb.metadata.filter_metadata } : {}),
        })
      }
    }
  }
  return {
    name: c.name,
    type: c.type ?? 'STATIC',
    lbPolicy: c.lb_policy ?? 'ROUND_ROBIN',
    hosts,
    connectTimeoutMs: c.connect_timeout ?? 5000,
    tls,
    ...lowerClusterResilience(c),
    ...lbUnlessDefault(lowerLbConfig(c)),
    hash: hashJson({ c, resolved: hosts.map((h) => h.address) }),
  }
}

const lbUnlessDefault = (lb: ClusterLbIR): { lb?: ClusterLbIR } => (JSON.stringify(lb) === JSON.stringify(DEFAULT_CLUSTER_LB) ? {} : { lb })

function splitHostPort(s: string): [string, number | undefined] {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(s)
  return m ? [m[1]!, Number(m[2])] : [s, undefined]
}

type Raw = Readonly<Record<string, unknown>>
const section = (v: unknown): Raw => (v && typeof v === 'object' ? (v as Raw) : {})

/** A number written plain, as a string (64-bit proto JSON), as `{ value }` or as a RuntimeDouble `{ default_value }`. */
function num(v: unknown): number | undefined {
  if (v && typeof v === 'object' && 'value' in v) return num((v as { value: unknown }).value)
  if (v && typeof v === 'object' && 'default_value' in v) return num((v as { default_value: unknown }).default_value)
  const n = typeof v === 'string' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}


export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false
  return true
}

const list = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
const table = (v: unknown): Record<string, string[]> =>
  v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, r]) => [k.toUpperCase(), list(r)])) : {}

/**
 * `least_request_lb_config`, `ring_hash_lb_config`, `maglev_lb_config`,
 * `common_lb_config.locality_weighted_lb_config` and edgevoy's
 * `metadata.filter_metadata.edgevoy.colo_regions`, with Envoy's defaults.
 */
export function lowerLbConfig(c: Pick<ClusterConfig, 'least_request_lb_config' | 'ring_hash_lb_config' | 'maglev_lb_config' | 'common_lb_config' | 'metadata'>): ClusterLbIR {
  const lr = section(c.least_request_lb_config)
  const rh = section(c.ring_hash_lb_config)
  const maximumRingSize = Math.min(num(rh.maximum_ring_size) ?? 8 * 1024 * 1024, RING_HASH_LIMIT)
  const size = num(section(c.maglev_lb_config).table_size) ?? MAGLEV_DEFAULT_TABLE_SIZE
  const raw = edgevoyMeta(c.metadata).colo_regions as { colos?: unknown; continents?: unknown } | undefined
  return {
    // `active_request_bias` is a RuntimeDouble: `{ default_value, runtime_key }`.
    leastRequest: { choiceCount: Math.max(2, num(lr.choice_count) ?? 2), activeRequestBias: Math.max(0, num(lr.active_request_bias) ?? 1) },
    ringHash: { minimumRingSize: Math.min(num(rh.minimum_ring_size) ?? 1024, maximumRingSize), maximumRingSize },
    // Envoy rejects a non-prime size; the table build only terminates for primes.
    maglevTableSize: isPrime(size) && size <= 5_000_011 ? size : MAGLEV_DEFAULT_TABLE_SIZE,
    // Its presence is the switch.
    localityWeighted: section(c.common_lb_config).locality_weighted_lb_config !== undefined,
    ...(raw && typeof raw === 'object' ? { coloRegions: { colos: table(raw.colos), continents: table(raw.continents) } } : {}),
  }
}
