/**
 * Envoy's RANDOM: each pick is independent, weighted by `load_balancing_weight`.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#random
 */
import type { Host } from '../../compile/types'
import type { LoadBalancerFactory } from './types'

export const createRandom: LoadBalancerFactory = (hosts, deps) => {
  // Cumulative weights, built once: a pick is one random number and a binary search.
  const cumulative: number[] = []
  let total = 0
  for (const host of hosts) cumulative.push((total += Math.max(0, host.weight)))

  const pickAll = (): Host | undefined => {
    if (total <= 0) return undefined
    const target = deps.random() * total
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! > target) hi = mid
      else lo = mid + 1
    }
    return hosts[lo]
  }

  // With exclusions (rare: retries), weigh only the hosts still allowed.
  const pickExcluding = (exclude: ReadonlySet<Host>): Host | undefined => {
    const allowed = hosts.filter((h) => !exclude.has(h) && h.weight > 0)
    const sum = allowed.reduce((s, h) => s + h.weight, 0)
    let target = deps.random() * sum
    for (const host of allowed) {
      if ((target -= host.weight) < 0) return host
    }
    return allowed[allowed.length - 1]
  }

  return {
    policy: 'RANDOM',
    chooseHost: (context) => (context?.exclude?.size ? pickExcluding(context.exclude) : pickAll()),
  }
}
