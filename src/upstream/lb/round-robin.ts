/**
 * Envoy's ROUND_ROBIN.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
 *
 * - Equal weights: strict rotation. The start index is random, as in Envoy; on
 *   Workers this matters even more, since many short-lived isolates that all
 *   started at 0 would pile onto the first host.
 * - Unequal weights: smooth weighted round robin (nginx's algorithm) instead
 *   of Envoy's EDF scheduler. Both give exact long-run proportions and spread
 *   each host's picks evenly; smooth WRR is exact over every period of
 *   `sum(weights)` picks, which keeps it easy to test. The start is randomised
 *   by advancing a random number of picks into the period.
 *
 * Excluded hosts are skipped without disturbing the others: rotation moves on
 * past them, and in WRR they simply sit out that round.
 */
import type { Host } from '../../compile/types'
import type { LbContext, LbDeps, LoadBalancer, LoadBalancerFactory } from './types'

/** Bound on the warm-up picks that randomise the WRR start (huge weights would make it slow). */
const MAX_WARMUP_PICKS = 1024

export const createRoundRobin: LoadBalancerFactory = (hosts, deps) => {
  const first = hosts[0]
  const weighted = first !== undefined && hosts.some((h) => h.weight !== first.weight)
  return weighted ? smoothWeighted(hosts, deps) : rotation(hosts, deps)
}

function rotation(hosts: readonly Host[], deps: LbDeps): LoadBalancer {
  let next = Math.floor(deps.random() * hosts.length)
  return {
    policy: 'ROUND_ROBIN',
    chooseHost(context?: LbContext) {
      const n = hosts.length
      for (let i = 0; i < n; i++) {
        const index = (next + i) % n
        const host = hosts[index]!
        if (context?.exclude?.has(host)) continue
        next = (index + 1) % n
        return host
      }
      return undefined
    },
  }
}

function smoothWeighted(hosts: readonly Host[], deps: LbDeps): LoadBalancer {
  const current = new Float64Array(hosts.length)
  const pick = (exclude: ReadonlySet<Host> | undefined): Host | undefined => {
    let best = -1
    let total = 0
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[i]!
      if (exclude?.has(host) || host.weight <= 0) continue
      current[i]! += host.weight
      total += host.weight
      if (best < 0 || current[i]! > current[best]!) best = i
    }
    if (best < 0) return undefined
    current[best]! -= total
    return hosts[best]
  }
  const period = hosts.reduce((sum, h) => sum + Math.max(0, h.weight), 0)
  const warmup = Math.floor(deps.random() * Math.min(period, MAX_WARMUP_PICKS))
  for (let i = 0; i < warmup; i++) pick(undefined)
  return { policy: 'ROUND_ROBIN', chooseHost: (context) => pick(context?.exclude) }
}
