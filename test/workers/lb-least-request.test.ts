/**
 * LEAST_REQUEST: power of N choices over in-flight counts, and the weighted
 * form `weight / (active + 1) ^ active_request_bias`.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#weighted-least-request
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/load_balancing_policies/least_request/v3/least_request.proto
 */
import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Cluster, Host } from '../../src/compile/types'
import { ActiveRequests } from '../../src/upstream/lb/active-requests'
import { activeRequests } from '../../src/upstream/lb/active-requests'
import { createLeastRequest, leastRequestWith } from '../../src/upstream/lb/least-request'
import { createRoundRobin } from '../../src/upstream/lb/round-robin'
import type { LoadBalancer } from '../../src/upstream/lb/types'
import { controlClient, type EchoBody } from '../support/control-client'
import { seededRandom, testCluster, testHost , withLbConfig } from '../support/hosts'

const three = [1, 2, 3].map((i) => testHost({ port: 8300 + i }))
const deps = (cluster?: Cluster) => ({ random: seededRandom(11), now: () => 0, cluster })

/**
 * 10,000 requests, one per tick; a request to the slow host stays in flight
 * 30 ticks, to the others 2. Returns picks per host.
 */
function simulate(lb: LoadBalancer, active: ActiveRequests, slow: Host): Map<Host, number> {
  const ends: (() => void)[][] = Array.from({ length: 31 }, () => [])
  const picks = new Map<Host, number>()
  for (let tick = 0; tick < 10_000; tick++) {
    for (const end of ends[tick % 31]!.splice(0)) end()
    const host = lb.chooseHost()!
    picks.set(host, (picks.get(host) ?? 0) + 1)
    ends[(tick + (host === slow ? 30 : 2)) % 31]!.push(active.begin(host))
  }
  return picks
}

describe('LEAST_REQUEST, equal weights (P2C)', () => {
  it('over 10,000 requests sends far fewer to a slow host than round robin does', () => {
    const active = new ActiveRequests()
    const picks = simulate(leastRequestWith(active)(three, deps()), active, three[2]!)
    const rr = simulate(createRoundRobin(three, deps()), new ActiveRequests(), three[2]!)
    expect(rr.get(three[2]!)).toBeGreaterThan(3300)
    expect(picks.get(three[2]!)).toBeLessThan(1500) // ~1,160 seen, against ~3,333
    expect(picks.get(three[0]!)).toBeGreaterThan(4000)
    expect(picks.get(three[1]!)).toBeGreaterThan(4000)
  })

  it('of the sampled hosts, takes the one with fewer in flight', () => {
    const active = new ActiveRequests()
    active.begin(three[0]!)
    // Samples index floor(r × 3): 0 then 1 → host 1 (0 in flight beats 1).
    const values = [0, 0.5]
    const lb = leastRequestWith(active)(three, { random: () => values.shift() ?? 0, now: () => 0 })
    expect(lb.chooseHost()).toBe(three[1])
  })

  it('choice_count: with 3 choices of 3 hosts the busiest host is picked less often', () => {
    const active = new ActiveRequests()
    for (let i = 0; i < 5; i++) active.begin(three[0]!)
    const count = (cluster?: Cluster) => {
      const lb = leastRequestWith(active)(three, deps(cluster))
      return Array.from({ length: 10_000 }, () => lb.chooseHost()).filter((h) => h === three[0]).length
    }
    const two = count()
    const threeChoices = count(withLbConfig(testCluster('c', three, 'LEAST_REQUEST'), { least_request_lb_config: { choice_count: 3 } }))
    // P(picked) = P(every sample is host 0) = (1/3)^N: ~1,111 then ~370 of 10,000.
    expect(two).toBeGreaterThan(900)
    expect(two).toBeLessThan(1350)
    expect(threeChoices).toBeLessThan(500)
  })
})

describe('LEAST_REQUEST, unequal weights', () => {
  const weighted = [testHost({ port: 8401, weight: 1 }), testHost({ port: 8402, weight: 2 })]
  const share = (bias: number | undefined, busy: number) => {
    const active = new ActiveRequests()
    for (let i = 0; i < busy; i++) active.begin(weighted[1]!)
    const ext = bias === undefined ? {} : { least_request_lb_config: { active_request_bias: { default_value: bias, runtime_key: 'x' } } }
    const lb = leastRequestWith(active)(weighted, deps(withLbConfig(testCluster('w', weighted, 'LEAST_REQUEST'), ext)))
    return Array.from({ length: 10_000 }, () => lb.chooseHost()).filter((h) => h === weighted[1]).length / 10_000
  }

  it('idle: picks in proportion to weight (2/3)', () => {
    expect(share(undefined, 0)).toBeCloseTo(2 / 3, 2)
  })

  it('bias 1.0 (default): weight 2 with 3 in flight counts as 2/4 against 1/1', () => {
    expect(share(undefined, 3)).toBeCloseTo(0.5 / 1.5, 2)
  })

  it('bias 0: in-flight requests are ignored (weighted round robin)', () => {
    expect(share(0, 3)).toBeCloseTo(2 / 3, 2)
  })

  it('bias 2: weight 2 with 1 in flight counts as 2/4', () => {
    expect(share(2, 1)).toBeCloseTo(0.5 / 1.5, 2)
  })
})

describe('LEAST_REQUEST against real upstreams, one slowed', () => {
  const control = controlClient(inject('upstreamControl'))
  const ids = ['lb-lr-fast-1', 'lb-lr-fast-2', 'lb-lr-slow']
  afterAll(async () => {
    for (const id of ids) await control.kill(id).catch(() => undefined)
  })

  it('60 requests, 6 at a time: the slow host gets the fewest', async () => {
    const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
    await control.setBehavior('lb-lr-slow', { delayMs: 300 })
    const hosts = ports.map((port) => testHost({ port }))
    const lb = createLeastRequest(hosts, deps())
    const seen: string[] = []
    const worker = async () => {
      for (let i = 0; i < 10; i++) {
        const host = lb.chooseHost()!
        const done = activeRequests.begin(host)
        try {
          const res = await fetch(`${host.origin}/lr`)
          seen.push(((await res.json()) as EchoBody).id)
        } finally {
          done()
        }
      }
    }
    await Promise.all(Array.from({ length: 6 }, worker))
    const n = (id: string) => seen.filter((s) => s === id).length
    expect(seen).toHaveLength(60)
    expect(n('lb-lr-slow')).toBeLessThan(n('lb-lr-fast-1'))
    expect(n('lb-lr-slow')).toBeLessThan(n('lb-lr-fast-2'))
    expect(activeRequests.get(hosts[2]!)).toBe(0)
  })
})
