/**
 * Envoy's LEAST_REQUEST over this isolate's in-flight counts.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#weighted-least-request
 *
 * - Equal weights: power of N choices. Sample `choice_count` hosts (default 2)
 *   at random, with replacement, and take the one with fewest active requests
 *   (the first sampled wins ties), as Envoy's `unweightedHostPick`.
 * - Unequal weights: a weighted schedule whose weights are recomputed at each
 *   pick as `weight / (active + 1) ^ active_request_bias` (bias 1.0 by
 *   default; 0 makes it plain weighted round robin). Envoy runs an EDF
 *   scheduler; we run smooth weighted round robin over the same dynamic
 *   weights (round-robin.ts explains that choice).
 */
import type { Host } from '../../compile/types'
import { activeRequests as isolateActive, type ActiveRequests } from './active-requests'
import { leastRequestConfig } from './lb-config'
import type { LbContext, LbDeps, LoadBalancer, LoadBalancerFactory } from './types'

/** The in-flight counter is injectable so tests can hold hosts "busy" without real traffic. */
export const leastRequestWith =
  (active: ActiveRequests): LoadBalancerFactory =>
  (hosts, deps) => {
    const config = leastRequestConfig(deps.cluster)
    const first = hosts[0]
    const weighted = first !== undefined && hosts.some((h) => h.weight !== first.weight)
    return weighted ? dynamicWeighted(hosts, deps, active, config.activeRequestBias) : nChoices(hosts, deps, active, config.choiceCount)
  }

export const createLeastRequest: LoadBalancerFactory = leastRequestWith(isolateActive)

function nChoices(hosts: readonly Host[], deps: LbDeps, active: ActiveRequests, choiceCount: number): LoadBalancer {
  return {
    policy: 'LEAST_REQUEST',
    chooseHost(context?: LbContext) {
      const from = context?.exclude?.size ? hosts.filter((h) => !context.exclude!.has(h)) : hosts
      if (from.length === 0) return undefined
      let best: Host | undefined
      for (let i = 0; i < choiceCount; i++) {
        const sampled = from[Math.floor(deps.random() * from.length)]!
        if (best === undefined || active.get(sampled) < active.get(best)) best = sampled
      }
      return best
    },
  }
}

function dynamicWeighted(hosts: readonly Host[], deps: LbDeps, active: ActiveRequests, bias: number): LoadBalancer {
  const current = new Float64Array(hosts.length)
  // A random phase, so isolates that start together do not pick in lockstep.
  for (let i = 0; i < hosts.length; i++) current[i] = deps.random() * hosts[i]!.weight
  const effective = (h: Host): number => (bias === 0 ? h.weight : h.weight / Math.pow(active.get(h) + 1, bias))
  return {
    policy: 'LEAST_REQUEST',
    chooseHost(context?: LbContext) {
      let best = -1
      let total = 0
      for (let i = 0; i < hosts.length; i++) {
        const host = hosts[i]!
        if (context?.exclude?.has(host) || host.weight <= 0) continue
        const w = effective(host)
        current[i]! += w
        total += w
        if (best < 0 || current[i]! > current[best]!) best = i
      }
      if (best < 0) return undefined
      current[best]! -= total
      return hosts[best]
    },
  }
}
