/**
 * Envoy's RING_HASH (ketama), built entry for entry as Envoy builds it so a
 * request hash lands on the host Envoy would pick for the same hosts:
 * each host gets `scale × normalized weight` entries keyed
 * `"<address>_<i>"`, hashed with XXH64 (seed 0), sorted by hash; a request
 * goes to the first entry whose hash is ≥ its own, wrapping to the start.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#ring-hash
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc
 *
 * The ring is built from the hosts it is given — the healthy hosts of the
 * priority level — and rebuilt when health changes, as Envoy does: since each
 * host gets `ceil(minimum_ring_size / N)` entries, losing 1 of 5 hosts moves
 * its keys and some of the survivors' (about 30% of keys in all).
 */
import type { Host } from '../../compile/types'
import { ringHashConfig, type RingHashConfig } from './lb-config'
import { normalizeHostWeights } from './normalize'
import type { LbContext, LoadBalancerFactory } from './types'
import { random64, xxHash64 } from './xxhash64'

export interface Ring {
  readonly hashes: BigUint64Array
  readonly hosts: readonly Host[]
}

export function buildRing(hostList: readonly Host[], config: RingHashConfig): Ring {
  const { hosts: weighted, min } = normalizeHostWeights(hostList)
  if (weighted.length === 0) return { hashes: new BigUint64Array(0), hosts: [] }
  // Scale so the lightest host gets a whole number of entries, capped at the maximum.
  const scale = Math.min(Math.ceil(min * config.minimumRingSize) / min, config.maximumRingSize)
  const entries: { hash: bigint; host: Host }[] = []
  let current = 0
  let target = 0
  for (const { host, weight } of weighted) {
    target += scale * weight
    for (let i = 0; current < target; i++, current++) entries.push({ hash: xxHash64(`${host.address}_${i}`), host })
  }
  entries.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0))
  return { hashes: BigUint64Array.from(entries, (e) => e.hash), hosts: entries.map((e) => e.host) }
}

/**
 * Ketama's binary search exactly as Envoy ports it (signed indices; a hash
 * above every entry, or one that falls through, wraps to entry 0).
 */
export function ringIndex(ring: Ring, h: bigint): number {
  const size = ring.hashes.length
  let low = 0
  let high = size
  for (;;) {
    const mid = Math.floor((low + high) / 2)
    if (mid === size) return 0
    const midval = ring.hashes[mid]!
    const midval1 = mid === 0 ? 0n : ring.hashes[mid - 1]!
    if (h <= midval && h > midval1) return mid
    if (midval < h) low = mid + 1
    else high = mid - 1
    if (low > high) return 0
  }
}

export const createRingHash: LoadBalancerFactory = (hostList, deps) => {
  const config = ringHashConfig(deps.cluster)
  const ring = buildRing(hostList, config)
  const size = ring.hosts.length
  return {
    policy: 'RING_HASH',
    chooseHost(context?: LbContext) {
      if (size === 0) return undefined
      const start = ringIndex(ring, context?.hash ?? random64(deps.random))
      // A retry that must avoid hosts walks on round the ring, as Envoy's
      // `attempt` offset does ("behave as if this host was not in the ring").
      for (let attempt = 0; attempt < size; attempt++) {
        const host = ring.hosts[(start + attempt) % size]!
        if (!context?.exclude?.has(host)) return host
      }
      return undefined
    },
  }
}
