/**
 * Policy-specific behaviour of ROUND_ROBIN and RANDOM.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
 */
import { describe, expect, it } from 'vitest'
import type { Host } from '../../src/compile/types'
import { createRandom } from '../../src/upstream/lb/random'
import { createRoundRobin } from '../../src/upstream/lb/round-robin'
import { seededRandom, testHost } from '../support/hosts'

const hosts = (weights: number[]): Host[] => weights.map((weight, i) => testHost({ port: 8001 + i, weight }))
const fixed = (value: number) => ({ random: () => value, now: () => 0 })
const counts = (picks: (Host | undefined)[], all: Host[]) => all.map((h) => picks.filter((p) => p === h).length)

describe('ROUND_ROBIN, equal weights', () => {
  it('rotates strictly over 3 hosts', () => {
    const all = hosts([1, 1, 1])
    const lb = createRoundRobin(all, fixed(0))
    const picks = Array.from({ length: 9 }, () => lb.chooseHost())
    expect(picks).toEqual([...all, ...all, ...all])
  })

  it('starts at a random index (Envoy seeds its RR index randomly)', () => {
    const all = hosts([1, 1, 1])
    expect(createRoundRobin(all, fixed(0)).chooseHost()).toBe(all[0])
    expect(createRoundRobin(all, fixed(0.4)).chooseHost()).toBe(all[1])
    expect(createRoundRobin(all, fixed(0.99)).chooseHost()).toBe(all[2])
  })

  it('skips an excluded host and carries on rotating', () => {
    const all = hosts([1, 1, 1])
    const lb = createRoundRobin(all, fixed(0))
    const exclude = new Set([all[1]!])
    const picks = Array.from({ length: 4 }, () => lb.chooseHost({ exclude }))
    expect(picks).toEqual([all[0], all[2], all[0], all[2]])
    expect(lb.chooseHost()).toBe(all[0])
    expect(lb.chooseHost()).toBe(all[1])
  })
})

describe('ROUND_ROBIN, weighted (smooth WRR)', () => {
  it('weights 1:2:3 over 6,000 picks are exactly proportional', () => {
    const all = hosts([1, 2, 3])
    for (const seed of [1, 2, 3]) {
      const lb = createRoundRobin(all, { random: seededRandom(seed), now: () => 0 })
      const picks = Array.from({ length: 6000 }, () => lb.chooseHost())
      expect(counts(picks, all)).toEqual([1000, 2000, 3000])
    }
  })

  it('interleaves: a weight-3 host out of 6 is never picked 3 times in a row', () => {
    const all = hosts([1, 2, 3])
    const lb = createRoundRobin(all, fixed(0))
    const picks = Array.from({ length: 60 }, () => lb.chooseHost())
    const runs = picks.map((h, i) => (i >= 2 && h === picks[i - 1] && h === picks[i - 2] ? 1 : 0))
    expect(runs.reduce((a: number, b) => a + b, 0)).toBe(0)
  })

  it('with equal weights among the weighted set, no host is picked twice in a row', () => {
    const all = hosts([2, 2, 2, 5])
    const lb = createRoundRobin(all.slice(0, 3), fixed(0))
    const picks = Array.from({ length: 30 }, () => lb.chooseHost())
    picks.forEach((h, i) => i > 0 && expect(h).not.toBe(picks[i - 1]))
    // The weighted path proper: equal hosts inside an unequal set never repeat back to back either.
    const wrr = createRoundRobin([...all.slice(0, 3), testHost({ port: 9999, weight: 2 }), all[3]!], fixed(0))
    const excludeBig = new Set([all[3]!])
    const small = Array.from({ length: 40 }, () => wrr.chooseHost({ exclude: excludeBig }))
    small.forEach((h, i) => i > 0 && expect(h).not.toBe(small[i - 1]))
  })

  it('the random start shifts the phase but not the proportions', () => {
    const all = hosts([1, 2, 3])
    const firsts = new Set(
      [0, 0.2, 0.4, 0.6, 0.8, 0.99].map((r) => {
        const lb = createRoundRobin(all, fixed(r))
        return Array.from({ length: 6 }, () => lb.chooseHost()!.port).join(',')
      }),
    )
    expect(firsts.size).toBeGreaterThan(1)
  })

  it('keeps proportions among the remaining hosts while one is excluded', () => {
    const all = hosts([1, 2, 3])
    const lb = createRoundRobin(all, fixed(0))
    const exclude = new Set([all[2]!])
    const picks = Array.from({ length: 300 }, () => lb.chooseHost({ exclude }))
    expect(counts(picks, all)).toEqual([100, 200, 0])
  })
})

describe('RANDOM', () => {
  it('is weighted by load_balancing_weight', () => {
    const all = hosts([1, 2, 3])
    const lb = createRandom(all, { random: seededRandom(7), now: () => 0 })
    const [one, two, three] = counts(Array.from({ length: 60_000 }, () => lb.chooseHost()), all)
    // Expected 10k / 20k / 30k; 4 sigma is about ±400.
    expect(Math.abs(one! - 10_000)).toBeLessThan(500)
    expect(Math.abs(two! - 20_000)).toBeLessThan(600)
    expect(Math.abs(three! - 30_000)).toBeLessThan(600)
  })

  it('maps the random number onto cumulative weights', () => {
    const all = hosts([1, 2, 3])
    const pick = (r: number) => createRandom(all, fixed(r)).chooseHost()
    expect(pick(0)).toBe(all[0])
    expect(pick(1 / 6 - 1e-9)).toBe(all[0])
    expect(pick(1 / 6)).toBe(all[1])
    expect(pick(0.5)).toBe(all[2])
    expect(pick(0.999)).toBe(all[2])
  })
})
