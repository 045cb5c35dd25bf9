/**
 * RING_HASH and MAGLEV: consistency and minimal disruption.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#ring-hash
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#maglev
 */
import { describe, expect, it } from 'vitest'
import type { Cluster, Host } from '../../src/compile/types'
import { createMaglev } from '../../src/upstream/lb/maglev'
import { createRingHash } from '../../src/upstream/lb/ring-hash'
import type { LoadBalancerFactory } from '../../src/upstream/lb/types'
import { xxHash64 } from '../../src/upstream/lb/xxhash64'
import { seededRandom, testCluster, testHost, withLbConfig } from '../support/hosts'

const five = [1, 2, 3, 4, 5].map((i) => testHost({ port: 8100 + i }))
const deps = (cluster?: Cluster) => ({ random: seededRandom(3), now: () => 0, cluster })
const keyHashes = Array.from({ length: 1000 }, (_, i) => xxHash64(`session-${i}`))
const withExtensions = (raw: Record<string, unknown>): Cluster => withLbConfig(testCluster('c', five), raw)

describe.each([
  ['RING_HASH', createRingHash],
  ['MAGLEV', createMaglev],
] as [string, LoadBalancerFactory][])('%s', (_, create) => {
  it('sends the same key to the same host on all of 10,000 requests', () => {
    const lb = create(five, deps())
    const hash = xxHash64('user-42')
    const first = lb.chooseHost({ hash })
    for (let i = 0; i < 10_000; i++) expect(lb.chooseHost({ hash })).toBe(first)
    // A rebuilt balancer (another isolate, or after a health change) agrees.
    expect(create([...five], deps()).chooseHost({ hash })).toBe(first)
  })

  it('spreads 10,000 distinct keys roughly evenly over 5 hosts', () => {
    const lb = create(five, deps())
    const counts = new Map<Host, number>()
    for (let i = 0; i < 10_000; i++) {
      const h = lb.chooseHost({ hash: xxHash64(`k${i}`) })!
      counts.set(h, (counts.get(h) ?? 0) + 1)
    }
    expect(counts.size).toBe(5)
    for (const n of counts.values()) expect(n).toBeGreaterThan(1400) // 2,000 expected each
  })

  it('removing 1 of 5 hosts (unhealthy) rebuilds from the 4 healthy hosts, as Envoy does', () => {
    const cluster = testCluster('five', five)
    const four = five.filter((h) => h !== five[2])
    const before = create(five, deps(cluster))
    const after = create(four, deps(cluster))
    // Envoy's balancer over the healthy hosts is built from them alone: the same picks as a fresh one over the four.
    const fresh = create([...four], deps())
    let moved = 0
    for (const hash of keyHashes) {
      const b = after.chooseHost({ hash })!
      expect(b).toBe(fresh.chooseHost({ hash }))
      expect(b).not.toBe(five[2])
      if (before.chooseHost({ hash }) !== b) moved++
    }
    // The removed fifth moves, plus (ring hash) the survivors' re-spread entries: Envoy moves ~30% on its ring too.
    expect(moved / 1000).toBeGreaterThanOrEqual(0.15)
    expect(moved / 1000).toBeLessThanOrEqual(0.4)
  })

  it('a retry that excludes the key\'s host gets another host, the same one every time', () => {
    const lb = create(five, deps())
    const hash = xxHash64('user-7')
    const home = lb.chooseHost({ hash })!
    const exclude = new Set([home])
    const other = lb.chooseHost({ hash, exclude })
    expect(other).toBeDefined()
    expect(other).not.toBe(home)
    for (let i = 0; i < 100; i++) expect(lb.chooseHost({ hash, exclude })).toBe(other)
  })

  it('weights: a weight-3 host gets about 3× the keys of a weight-1 host', () => {
    const hosts = [testHost({ port: 8201, weight: 1 }), testHost({ port: 8202, weight: 3 })]
    const lb = create(hosts, deps())
    let heavy = 0
    for (let i = 0; i < 10_000; i++) if (lb.chooseHost({ hash: xxHash64(`w${i}`) }) === hosts[1]) heavy++
    expect(heavy).toBeGreaterThan(7000)
    expect(heavy).toBeLessThan(8000)
  })
})

describe('RING_HASH without the cluster: Envoy\'s rebuild from the survivors', () => {
  it('gives each survivor ceil(1024 / 4) entries, so more keys move (30.8% here, as in Envoy)', () => {
    const before = createRingHash(five, deps())
    const after = createRingHash(five.filter((h) => h !== five[2]), deps())
    const moved = keyHashes.filter((hash) => before.chooseHost({ hash }) !== after.chooseHost({ hash })).length
    // 192 of the keys were on the removed host (reference computation, Python + libxxhash).
    expect(moved).toBe(308)
  })
})

describe('cluster config', () => {
  it('ring_hash_lb_config sizes the ring (plain or wrapped numbers)', async () => {
    const { buildRing } = await import('../../src/upstream/lb/ring-hash')
    const { ringHashConfig } = await import('../../src/upstream/lb/lb-config')
    expect(buildRing(five, ringHashConfig(withExtensions({ ring_hash_lb_config: { minimum_ring_size: 10 } }))).hashes.length).toBe(10)
    expect(buildRing(five, ringHashConfig(withExtensions({ ring_hash_lb_config: { minimum_ring_size: { value: 64 }, maximum_ring_size: 50 } }))).hashes.length).toBe(50)
  })

  it('maglev_lb_config.table_size must be prime (else Envoy\'s default 65537)', async () => {
    const { maglevTableSize } = await import('../../src/upstream/lb/lb-config')
    expect(maglevTableSize(withExtensions({ maglev_lb_config: { table_size: 251 } }))).toBe(251)
    expect(maglevTableSize(withExtensions({ maglev_lb_config: { table_size: 1000 } }))).toBe(65537)
    const lb = createMaglev(five, deps(withExtensions({ maglev_lb_config: { table_size: 251 } })))
    expect(new Set(Array.from({ length: 500 }, (_, i) => lb.chooseHost({ hash: BigInt(i) })))).toEqual(new Set(five))
  })
})
