/**
 * planPriorities against the examples in Envoy's docs.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/priority
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/panic_threshold
 */
import { describe, expect, it } from 'vitest'
import type { Host } from '../../src/compile/types'
import type { CoarseHealth } from '../../src/upstream/health/flags'
import { planPriorities } from '../../src/upstream/priority'
import { testHost } from '../support/hosts'

const OPTS = { overprovisioningFactor: 1.4, panicThreshold: 50 }

/** `healthy[p]` of `total[p]` hosts healthy at priority p. */
function levels(spec: readonly [healthy: number, total: number][]) {
  const hosts: Host[] = []
  const health = new Map<Host, CoarseHealth>()
  spec.forEach(([healthy, total], priority) => {
    for (let i = 0; i < total; i++) {
      const h = { ...testHost({ port: 10_000 + priority * 100 + i }), priority }
      hosts.push(h)
      health.set(h, i < healthy ? 'healthy' : 'unhealthy')
    }
  })
  return planPriorities(hosts, (h) => health.get(h)!, OPTS)
}
const loads = (spec: readonly [number, number][]) => levels(spec).map((l) => Math.round(l.load))

describe('priority load (overprovisioning factor 1.4)', () => {
  // The table in Envoy's priority-levels doc (P=1 fully healthy).
  it.each([
    [100, 100, 0],
    [72, 100, 0],
    [71, 99, 1],
    [50, 70, 30],
    [25, 35, 65],
    [0, 0, 100],
  ])('P=0 %i%% healthy → P=0 %i%%, P=1 %i%%', (p0Healthy, p0Load, p1Load) => {
    expect(loads([[p0Healthy, 100], [100, 100]])).toEqual([p0Load, p1Load])
  })

  it('scales the loads up when the levels together are under 100% (normalised)', () => {
    // P=0: 20% healthy → 28; P=1: 20% → 28; total 56 → 50/50 after normalising.
    expect(loads([[20, 100], [20, 100]])).toEqual([50, 50])
  })

  it('a level under the panic threshold picks from all its hosts once total availability is short', () => {
    const plan = levels([[1, 3]])
    expect(plan[0]!.panic).toBe(true)
    expect(plan[0]!.pickFrom).toHaveLength(3)
  })

  it('no panic while the other levels make up 100%', () => {
    const plan = levels([[0, 2], [2, 2]])
    expect(plan.map((l) => l.panic)).toEqual([false, false])
    expect(plan[0]!.load).toBe(0)
  })

  it('total panic spreads load by host count', () => {
    expect(loads([[0, 2], [0, 6]])).toEqual([25, 75])
  })
})
