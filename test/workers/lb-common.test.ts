/**
 * One suite run against every load-balancing policy (the shape of Hono's
 * router common.case.test.ts): what any LoadBalancer must guarantee.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
 */
import { describe, expect, it } from 'vitest'
import type { Host, LbPolicy } from '../../src/compile/types'
import { LOAD_BALANCERS, createLoadBalancer } from '../../src/upstream/lb'
import { seededRandom, testCluster, testHost, withLbConfig } from '../support/hosts'

const POLICIES = Object.keys(LOAD_BALANCERS) as LbPolicy[]
const deps = () => ({ random: seededRandom(42), now: () => 0 })
const equal = [1, 2, 3].map((i) => testHost({ port: 8000 + i }))
const weighted = [1, 2, 3].map((i) => testHost({ port: 9000 + i, weight: i }))

describe.each(POLICIES)('%s', (policy) => {
  it('reports its policy', () => {
    expect(createLoadBalancer(testCluster('c', equal, policy), deps()).policy).toBe(policy)
  })

  it('returns undefined when there are no hosts', () => {
    const lb = LOAD_BALANCERS[policy]([], deps())
    expect(lb.chooseHost()).toBeUndefined()
    expect(lb.chooseHost({ exclude: new Set() })).toBeUndefined()
  })

  it.each([
    ['equal weights', equal],
    ['weights 1:2:3', weighted],
  ])('only returns given hosts, and every one of them (%s)', (_, hosts) => {
    const lb = LOAD_BALANCERS[policy](hosts, deps())
    const seen = new Set(Array.from({ length: 300 }, () => lb.chooseHost()))
    expect(seen).toEqual(new Set(hosts))
  })

  it.each([
    ['equal weights', equal],
    ['weights 1:2:3', weighted],
  ])('never returns an excluded host (%s)', (_, hosts) => {
    const lb = LOAD_BALANCERS[policy](hosts, deps())
    for (const excluded of hosts) {
      const exclude = new Set([excluded])
      for (let i = 0; i < 100; i++) {
        const host = lb.chooseHost({ exclude })
        expect(host).toBeDefined()
        expect(host).not.toBe(excluded)
      }
    }
  })

  it('returns undefined when every host is excluded', () => {
    const lb = LOAD_BALANCERS[policy](weighted, deps())
    expect(lb.chooseHost({ exclude: new Set(weighted) })).toBeUndefined()
  })

  it('a single host is always chosen', () => {
    const only = testHost({ port: 7000 })
    const lb = LOAD_BALANCERS[policy]([only], deps())
    for (let i = 0; i < 10; i++) expect(lb.chooseHost()).toBe(only)
  })
})

/**
 * The same contract when the request carries a hash (RING_HASH and MAGLEV
 * pick by it, the others ignore it) and when the balancer knows its cluster
 * (the locality and pick-counting wrappers are active).
 */
describe.each(POLICIES)('%s with a request hash and its cluster', (policy) => {
  const hosts: Host[] = [1, 2, 3, 4].map((i) => ({ ...testHost({ port: 9100 + i }), locality: { region: i % 2 ? 'r1' : 'r2' } }))
  const cluster = withLbConfig(testCluster('common-with-cluster', hosts, policy), { metadata: { filter_metadata: { edgevoy: { colo_regions: { colos: { AMS: 'r1' } } } } } })
  const make = () => LOAD_BALANCERS[policy](hosts, { ...deps(), cluster })

  it('only returns given hosts; with a fixed hash, never an excluded one', () => {
    const lb = make()
    for (let i = 0; i < 200; i++) {
      const hash = BigInt(i) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn
      expect(hosts).toContain(lb.chooseHost({ hash }))
      const exclude = new Set([hosts[i % 4]!, hosts[(i + 1) % 4]!])
      const host = lb.chooseHost({ hash, exclude })
      expect(host).toBeDefined()
      expect(exclude.has(host!)).toBe(false)
    }
    expect(lb.chooseHost({ hash: 1n, exclude: new Set(hosts) })).toBeUndefined()
  })

  it('reports its policy through the wrappers', () => {
    expect(make().policy).toBe(policy)
  })
})
