/**
 * One suite run against every load-balancing policy (the shape of Hono's
 * router common.case.test.ts): what any LoadBalancer must guarantee.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
 */
import { describe, expect, it } from 'vitest'
import type { LbPolicy } from '../../src/compile/types'
import { LOAD_BALANCERS, createLoadBalancer } from '../../src/upstream/lb'
import { seededRandom, testCluster, testHost } from '../support/hosts'

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
