/**
 * Priority levels: how much of the traffic each priority gets, from how
 * available its hosts are, with Envoy's overprovisioning factor and panic
 * threshold. Pure: built when membership or health changes, read per pick.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/priority
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/overprovisioning
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/panic_threshold
 */
import type { Host } from '../compile/types.js'
import type { CoarseHealth } from './health/flags.js'

export interface PriorityLevel {
  readonly priority: number
  /** The hosts the balancer of this level picks from. */
  readonly pickFrom: readonly Host[]
  /** Below the panic threshold: picks from every host of the level, unhealthy ones included. */
  readonly panic: boolean
  /** Share of traffic, percent (the levels sum to 100, or 0 when there are no hosts). */
  readonly load: number
}

export interface PriorityOptions {
  /** Multiplier, e.g. 1.4. */
  readonly overprovisioningFactor: number
  /** Percent, e.g. 50. */
  readonly panicThreshold: number
}

/** Levels by ascending priority number (P=0 first), with loads and panic flags. */
export function planPriorities(hosts: readonly Host[], health: (host: Host) => CoarseHealth, opts: PriorityOptions): PriorityLevel[] {
  const byPriority = new Map<number, Host[]>()
  for (const h of hosts) {
    let list = byPriority.get(h.priority)
    if (!list) byPriority.set(h.priority, (list = []))
    list.push(h)
  }
  const levels = [...byPriority.entries()].sort(([a], [b]) => a - b).map(([priority, all]) => {
    const healthy = all.filter((h) => health(h) === 'healthy')
    const degraded = all.filter((h) => health(h) === 'degraded')
    const availableFraction = (healthy.length + degraded.length) / all.length
    return {
      priority,
      all,
      // Degraded hosts serve only when a level has no healthy ones (simplified from Envoy's separate degraded load).
      usable: healthy.length > 0 ? healthy : degraded,
      // Envoy's integer health score: percent available × overprovisioning, capped at 100.
      score: Math.min(100, Math.floor(availableFraction * 100 * opts.overprovisioningFactor)),
      healthyPercent: availableFraction * 100,
    }
  })
  if (levels.length === 0) return []

  const total = Math.min(100, levels.reduce((s, l) => s + l.score, 0))
  // Full availability somewhere: no level panics. Otherwise a level panics when
  // its own healthy share is under the threshold (Envoy recalculatePerPriorityPanic).
  const panicOf = (l: (typeof levels)[number]) => total < 100 && l.healthyPercent < opts.panicThreshold
  if (levels.every(panicOf)) {
    // Total panic: spread by host count, every host of every level eligible.
    const count = hosts.length
    return levels.map((l) => ({ priority: l.priority, pickFrom: l.all, panic: true, load: (100 * l.all.length) / count }))
  }
  // Spill-over: each level takes its (normalised) score of what is left.
  let remaining = 100
  return levels.map((l) => {
    const share = total === 0 ? 0 : Math.min(remaining, (l.score * 100) / total)
    remaining -= share
    const panic = panicOf(l)
    return { priority: l.priority, pickFrom: panic ? l.all : l.usable, panic, load: share }
  })
}
