/**
 * Envoy's MAGLEV: a lookup table of prime size (65537 by default) filled the
 * way Envoy fills it, so a request hash maps to the host Envoy would pick:
 * hosts sorted by address; each host's permutation starts at
 * `XXH64(address) % size` and steps by `XXH64(address, seed 1) % (size-1) + 1`;
 * hosts take turns claiming their next free slot, a lighter host sitting out
 * turns in proportion to its weight. A request goes to `table[hash % size]`.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#maglev
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/load_balancing_policies/maglev/maglev_lb.cc
 */
import type { Host } from '../../compile/types'
import { maglevTableSize } from './lb-config'
import { normalizeHostWeights } from './normalize'
import type { LbContext, LoadBalancerFactory } from './types'
import { random64, xxHash64 } from './xxhash64'

const M64 = (1n << 64n) - 1n
/** Retries that must avoid hosts re-hash this many times before scanning. */
const MAX_REHASH_ATTEMPTS = 32

export interface MaglevTable {
  /** Index into `hosts` per slot. */
  readonly slots: Int32Array
  readonly hosts: readonly Host[]
}

export function buildMaglevTable(hostList: readonly Host[], size: number): MaglevTable {
  const { hosts: weighted, max } = normalizeHostWeights(hostList)
  // Envoy sorts by the hashed key: the fill order decides who wins a contested slot.
  const sorted = [...weighted].sort((a, b) => (a.host.address < b.host.address ? -1 : a.host.address > b.host.address ? 1 : 0))
  const slots = new Int32Array(sorted.length ? size : 0).fill(-1)
  const big = BigInt(size)
  const entries = sorted.map(({ host, weight }) => {
    const offset = Number(xxHash64(host.address) % big)
    const skip = Number(xxHash64(host.address, 1n) % (big - 1n)) + 1
    return { weight, skip, position: offset, target: 0 }
  })
  let filled = 0
  for (let iteration = 1; filled < size && entries.length > 0; iteration++) {
    for (let i = 0; i < entries.length && filled < size; i++) {
      const e = entries[i]!
      if (iteration * e.weight < e.target) continue
      e.target += max
      // `position` is permutation(next) = (offset + skip × next) % size, advanced incrementally.
      while (slots[e.position] !== -1) e.position = (e.position + e.skip) % size
      slots[e.position] = i
      e.position = (e.position + e.skip) % size
      filled++
    }
  }
  return { slots, hosts: sorted.map((w) => w.host) }
}

export const createMaglev: LoadBalancerFactory = (hostList, deps) => {
  const size = maglevTableSize(deps.cluster)
  const table = buildMaglevTable(hostList, size)
  const big = BigInt(size)
  const at = (h: bigint): Host => table.hosts[table.slots[Number(h % big)]!]!
  return {
    policy: 'MAGLEV',
    chooseHost(context?: LbContext) {
      if (table.hosts.length === 0) return undefined
      const hash = context?.hash ?? random64(deps.random)
      const exclude = context?.exclude
      if (!exclude?.size) return at(hash)
      // Envoy's retry mutation: `hash ^= ~0 - attempt + 1`.
      for (let attempt = 0; attempt <= MAX_REHASH_ATTEMPTS; attempt++) {
        const host = at(attempt === 0 ? hash : hash ^ ((M64 - BigInt(attempt) + 1n) & M64))
        if (!exclude.has(host)) return host
      }
      return table.hosts.find((h) => !exclude.has(h))
    },
  }
}
