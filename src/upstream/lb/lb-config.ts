/**
 * Reads the raw per-policy configs (`least_request_lb_config`,
 * `ring_hash_lb_config`, `maglev_lb_config`, `common_lb_config`) off a
 * compiled cluster, with Envoy's defaults. Values may be written plain
 * (`choice_count: 3`) or as protobuf wrappers (`choice_count: { value: 3 }`).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/cluster.proto
 */
import type { Cluster } from '../../compile/types'

type Raw = Readonly<Record<string, unknown>>

const section = (cluster: Cluster | undefined, key: string): Raw => {
  const v = cluster?.extensions[key]
  return v && typeof v === 'object' ? (v as Raw) : {}
}

/** A number written plain, as a string (64-bit proto JSON) or as `{ value }`. */
function num(v: unknown): number | undefined {
  if (v && typeof v === 'object' && 'value' in v) return num((v as { value: unknown }).value)
  if (v && typeof v === 'object' && 'default_value' in v) return num((v as { default_value: unknown }).default_value)
  const n = typeof v === 'string' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

export interface LeastRequestConfig {
  readonly choiceCount: number
  readonly activeRequestBias: number
}

export function leastRequestConfig(cluster: Cluster | undefined): LeastRequestConfig {
  const c = section(cluster, 'least_request_lb_config')
  return {
    choiceCount: Math.max(2, num(c.choice_count) ?? 2),
    // `active_request_bias` is a RuntimeDouble: `{ default_value, runtime_key }`.
    activeRequestBias: Math.max(0, num(c.active_request_bias) ?? 1),
  }
}

export interface RingHashConfig {
  readonly minimumRingSize: number
  readonly maximumRingSize: number
}

/** Envoy's defaults: 1024 and 8M entries; our cap on the maximum keeps a ring build bounded in an isolate. */
export const RING_HASH_LIMIT = 1 << 20

export function ringHashConfig(cluster: Cluster | undefined): RingHashConfig {
  const c = section(cluster, 'ring_hash_lb_config')
  const maximumRingSize = Math.min(num(c.maximum_ring_size) ?? 8 * 1024 * 1024, RING_HASH_LIMIT)
  return { minimumRingSize: Math.min(num(c.minimum_ring_size) ?? 1024, maximumRingSize), maximumRingSize }
}

export const MAGLEV_DEFAULT_TABLE_SIZE = 65537

export function maglevTableSize(cluster: Cluster | undefined): number {
  const size = num(section(cluster, 'maglev_lb_config').table_size) ?? MAGLEV_DEFAULT_TABLE_SIZE
  // Envoy rejects a non-prime size; the table build only terminates for primes.
  return isPrime(size) && size <= 5_000_011 ? size : MAGLEV_DEFAULT_TABLE_SIZE
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false
  return true
}

/** `common_lb_config.locality_weighted_lb_config` is set (its presence is the switch). */
export function localityWeighted(cluster: Cluster | undefined): boolean {
  return section(cluster, 'common_lb_config').locality_weighted_lb_config !== undefined
}
