/**
 * Per-host pick counts for the admin `/clusters` output (Envoy prints
 * `rq_total` and `rq_active` per host there). Counts are per isolate, keyed
 * by cluster name and host address, and survive balancer rebuilds.
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--clusters
 */
import { activeRequests } from './active-requests'
import type { LoadBalancerFactory } from './types'

const picks = new Map<string, Map<string, number>>()

/** Wraps a policy so every host it returns is counted under `deps.cluster.name`. */
export const counted =
  (factory: LoadBalancerFactory): LoadBalancerFactory =>
  (hosts, deps) => {
    const lb = factory(hosts, deps)
    const name = deps.cluster?.name
    if (name === undefined) return lb
    let perHost = picks.get(name)
    if (!perHost) picks.set(name, (perHost = new Map()))
    const counts = perHost
    return {
      policy: lb.policy,
      chooseHost(context) {
        const host = lb.chooseHost(context)
        if (host) counts.set(host.address, (counts.get(host.address) ?? 0) + 1)
        return host
      },
    }
  }

export interface HostLbStats {
  /** Times a balancer picked this host (Envoy's `rq_total`, counted at pick time). */
  readonly picks: number
  /** Requests in flight to this host right now (`rq_active`). */
  readonly active: number
}

/** Per-host counters for `cluster`, by host address; hosts never picked are absent unless in flight. */
export function lbStats(cluster: string): Record<string, HostLbStats> {
  const out: Record<string, HostLbStats> = {}
  for (const [address, n] of picks.get(cluster) ?? []) out[address] = { picks: n, active: activeRequests.get({ address }) }
  return out
}

/** For tests: forget every count. */
export function resetLbStats(): void {
  picks.clear()
}
