/**
 * XXH64 and the Envoy-compatible ring/table construction.
 * Vectors: the xxHash reference implementation (also checked against the
 * system's libxxhash 0.8 while writing this test).
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#ring-hash
 */
import { describe, expect, it } from 'vitest'
import { buildMaglevTable } from '../../src/upstream/lb/maglev'
import { buildRing, createRingHash, ringIndex } from '../../src/upstream/lb/ring-hash'
import { createMaglev } from '../../src/upstream/lb/maglev'
import { uint64ToHex, xxHash64 } from '../../src/upstream/lb/xxhash64'
import { testHost } from '../support/hosts'

describe('xxHash64', () => {
  it.each([
    ['', 0xef46db3751d8e999n],
    ['a', 0xd24ec4f1a98c6e5bn],
    ['abc', 0x44bc2cf5ad770999n],
    ['message digest', 0x066ed728fceeb3ben],
    ['abcdefghijklmnopqrstuvwxyz', 0xcfe1f278fa89835cn],
    ['hello world', 0x45ab6734b21e6968n],
  ])('xxh64(%j)', (input, expected) => {
    expect(xxHash64(input)).toBe(expected)
  })

  it('long input (32-byte stripes): bytes 0..255', () => {
    expect(xxHash64(Uint8Array.from({ length: 256 }, (_, i) => i))).toBe(0x1facbe8406cd904bn)
  })

  it('seeds and ring keys, as libxxhash computes them', () => {
    expect(xxHash64('127.0.0.1:8001_0')).toBe(0xd1c1d491c3964107n)
    expect(xxHash64('127.0.0.1:8001', 1n)).toBe(0x1c42d3b7665b4184n)
  })

  it('hex is 16 digits, zero padded (Envoy Hex::uint64ToHex)', () => {
    expect(uint64ToHex(0xabn)).toBe('00000000000000ab')
  })
})

/**
 * Golden picks computed outside edgevoy (Python over libxxhash, following
 * Envoy's ring_hash_lb.cc / maglev_lb.cc; ring lookup as a plain "first
 * entry ≥ hash, wrapping" bisect) for keys user-0..user-23.
 */
const keys = Array.from({ length: 24 }, (_, i) => `user-${i}`)
const golden = {
  equal: {
    weights: [1, 1, 1],
    ring: '8002 8003 8002 8002 8001 8002 8003 8002 8002 8002 8001 8001 8002 8002 8001 8001 8002 8001 8001 8003 8003 8003 8003 8003',
    maglev: '8002 8001 8001 8001 8002 8003 8002 8003 8003 8001 8003 8001 8002 8003 8003 8001 8003 8003 8001 8003 8003 8002 8003 8001',
    maglevCounts: [21846, 21846, 21845],
  },
  weighted: {
    weights: [1, 2, 3],
    ring: '8002 8003 8002 8002 8002 8002 8003 8002 8003 8002 8001 8001 8002 8002 8001 8001 8002 8001 8001 8003 8003 8003 8003 8003',
    maglev: '8002 8001 8001 8001 8002 8003 8002 8003 8003 8001 8003 8002 8002 8003 8003 8001 8003 8003 8003 8003 8003 8002 8003 8003',
    maglevCounts: [10923, 21846, 32768],
  },
}

describe.each(Object.entries(golden))('lands where Envoy would (%s weights)', (_, g) => {
  const hosts = g.weights.map((weight, i) => testHost({ port: 8001 + i, weight }))
  const deps = { random: () => 0, now: () => 0 }

  it('ring hash: 1026 entries, same host per key', () => {
    expect(buildRing(hosts, { minimumRingSize: 1024, maximumRingSize: 8 << 20 }).hashes.length).toBe(1026)
    const lb = createRingHash(hosts, deps)
    expect(keys.map((k) => lb.chooseHost({ hash: xxHash64(k) })!.port).join(' ')).toBe(g.ring)
  })

  it('maglev: same table shares, same host per key', () => {
    const table = buildMaglevTable(hosts, 65537)
    expect(hosts.map((h) => table.slots.filter((s) => table.hosts[s] === h).length)).toEqual(g.maglevCounts)
    const lb = createMaglev(hosts, deps)
    expect(keys.map((k) => lb.chooseHost({ hash: xxHash64(k) })!.port).join(' ')).toBe(g.maglev)
  })
})

describe('ketama search edges', () => {
  const ring = buildRing([testHost({ port: 1 }), testHost({ port: 2 })], { minimumRingSize: 4, maximumRingSize: 4 })
  it('a hash at or below the first entry, or above the last, goes to entry 0', () => {
    expect(ringIndex(ring, 0n)).toBe(0)
    expect(ringIndex(ring, ring.hashes[0]!)).toBe(0)
    expect(ringIndex(ring, (1n << 64n) - 1n)).toBe(0)
  })
  it('a hash equal to an entry picks that entry; one above it, the next', () => {
    expect(ringIndex(ring, ring.hashes[2]!)).toBe(2)
    expect(ringIndex(ring, ring.hashes[2]! + 1n)).toBe(3)
  })
})
