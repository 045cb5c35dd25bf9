/**
 * Which cluster a forward action sends to — Envoy's cluster specifiers: a
 * named cluster, the cluster a request header names (HeaderClusterSpecifierPlugin),
 * or one of weighted_clusters (WeightedClusterSpecifierPlugin), whose entries
 * may name theirs by header too.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-msg-config-route-v3-weightedcluster
 */
import type { Cluster, ForwardAction, WeightedCluster } from '../compile/types.js'
import { ProxyError } from '../errors.js'
import { requestHeaderValue } from '../upstream/headers.js'

export interface PickedCluster {
  readonly cluster: Cluster
  readonly weighted?: WeightedCluster
}

type WeightedTarget = Extract<ForwardAction['target'], { kind: 'weighted' }>

/**
 * A missing or empty header names the empty cluster, which does not exist:
 * like an unknown name, Envoy answers `cluster_not_found_response_code`
 * (router.cc: "unknown cluster", response flag NC; default 503).
 */
export function pickCluster(action: ForwardAction, request: Request, clusters: ReadonlyMap<string, Cluster>, random: () => number, hash?: bigint): PickedCluster {
  const target = action.target
  const named = (name: string | null): Cluster => {
    const cluster = name ? clusters.get(name) : undefined
    if (!cluster) throw new ProxyError('unknown_cluster', { status: action.clusterNotFoundStatus })
    return cluster
  }
  if (target.kind === 'cluster') return { cluster: named(target.name) }
  if (target.kind === 'cluster_header') return { cluster: named(requestHeaderValue(request, target.header)) }
  const weighted = pickWeighted(target, request, random, hash)
  return { cluster: named(weighted.clusterHeader !== undefined ? requestHeaderValue(request, weighted.clusterHeader) : weighted.name), weighted }
}

/**
 * Traffic shifting: the entry whose interval [begin, begin + weight) holds
 * value % totalWeight. The value is `header_name`'s when that header holds a
 * uint64 as absl::SimpleAtoi reads one, else — with `use_hash_policy` — the
 * route's hash_policy hash when it yields one, else a random one (Envoy falls
 * back to its per-request random value; weighted_cluster_specifier.cc).
 */
export function pickWeighted(target: WeightedTarget, request: Request, random: () => number, hash?: bigint): WeightedCluster {
  const fromHeader = target.headerName !== undefined ? headerRandomValue(request.headers.get(target.headerName)) : undefined
  const value = fromHeader ?? (target.useHashPolicy ? hash : undefined)
  let pick = value !== undefined ? Number(value % BigInt(target.totalWeight)) : Math.floor(random() * target.totalWeight)
  for (const w of target.clusters) {
    if (pick < w.weight) return w
    pick -= w.weight
  }
  // Unreachable: the weights add up to totalWeight (validated, and > 0).
  return target.clusters[target.clusters.length - 1]!
}

const UINT64_MAX = (1n << 64n) - 1n
// absl::SimpleAtoi<uint64_t>: ASCII whitespace around, an optional "+", decimal digits; no "-", no overflow.
const SIMPLE_ATOI_U64 = /^[\t\n\v\f\r ]*\+?([0-9]+)[\t\n\v\f\r ]*$/

/** The header's value as Envoy reads the random value from it; undefined falls back to random. */
export function headerRandomValue(value: string | null): bigint | undefined {
  if (value === null) return undefined
  const m = SIMPLE_ATOI_U64.exec(value)
  if (!m) return undefined
  const n = BigInt(m[1]!)
  return n <= UINT64_MAX ? n : undefined
}
