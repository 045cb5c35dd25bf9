/**
 * Picks the load balancer for a cluster's `lb_policy`.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
 */
import type { Cluster, LbPolicy } from '../../compile/types'
import { createRandom } from './random'
import { createRoundRobin } from './round-robin'
import type { LbDeps, LoadBalancer, LoadBalancerFactory } from './types'

export type { LbContext, LbDeps, LoadBalancer, LoadBalancerFactory } from './types'

/** Policies not written yet fall back to round robin, reporting the policy they stand in for. */
const fallback =
  (policy: LbPolicy): LoadBalancerFactory =>
  (hosts, deps) => {
    const rr = createRoundRobin(hosts, deps)
    return { policy, chooseHost: (context) => rr.chooseHost(context) }
  }

export const LOAD_BALANCERS: Readonly<Record<LbPolicy, LoadBalancerFactory>> = {
  ROUND_ROBIN: createRoundRobin,
  RANDOM: createRandom,
  // TODO(load-balancing policies): LEAST_REQUEST (power of two choices), RING_HASH and
  // MAGLEV (hash_policy on the route) and CLUSTER_PROVIDED; round robin until then.
  LEAST_REQUEST: fallback('LEAST_REQUEST'),
  RING_HASH: fallback('RING_HASH'),
  MAGLEV: fallback('MAGLEV'),
  CLUSTER_PROVIDED: fallback('CLUSTER_PROVIDED'),
}

/**
 * A balancer over all of `cluster.hosts`. The health-aware layer calls the
 * factory directly with only the healthy hosts, and rebuilds on change.
 */
export function createLoadBalancer(cluster: Cluster, deps: LbDeps): LoadBalancer {
  return LOAD_BALANCERS[cluster.lbPolicy](cluster.hosts, deps)
}
