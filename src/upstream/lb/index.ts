/**
 * Picks the load balancer for a cluster's `lb_policy`.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
 *
 * Every policy is wrapped the same way: locality picking (locality.ts: colo
 * affinity and `locality_weighted_lb_config`, inactive unless the cluster sets
 * them) and pick counting for `/clusters` (stats.ts, when `deps.cluster` is
 * given).
 */
import type { Cluster, LbPolicy } from '../../compile/types'
import { createLeastRequest } from './least-request'
import { withLocality } from './locality'
import { createMaglev } from './maglev'
import { createRandom } from './random'
import { createRingHash } from './ring-hash'
import { createRoundRobin } from './round-robin'
import { counted } from './stats'
import type { LbDeps, LoadBalancer, LoadBalancerFactory } from './types'

export type { LbContext, LbDeps, LoadBalancer, LoadBalancerFactory } from './types'
export { activeRequests } from './active-requests'
export { computeHash, type HashResult } from './hash-policy'
export { lbStats, type HostLbStats } from './stats'

/** CLUSTER_PROVIDED needs a cluster type that brings its own balancer (ORIGINAL_DST); round robin stands in. */
const clusterProvided: LoadBalancerFactory = (hosts, deps) => {
  const rr = createRoundRobin(hosts, deps)
  return { policy: 'CLUSTER_PROVIDED', chooseHost: (context) => rr.chooseHost(context) }
}

const wrap = (factory: LoadBalancerFactory): LoadBalancerFactory => counted(withLocality(factory))

export const LOAD_BALANCERS: Readonly<Record<LbPolicy, LoadBalancerFactory>> = {
  ROUND_ROBIN: wrap(createRoundRobin),
  RANDOM: wrap(createRandom),
  LEAST_REQUEST: wrap(createLeastRequest),
  RING_HASH: wrap(createRingHash),
  MAGLEV: wrap(createMaglev),
  CLUSTER_PROVIDED: wrap(clusterProvided),
}

/**
 * A balancer over all of `cluster.hosts`. The health-aware layer calls the
 * factory directly with only the healthy hosts, and rebuilds on change.
 */
export function createLoadBalancer(cluster: Cluster, deps: LbDeps): LoadBalancer {
  return LOAD_BALANCERS[cluster.lbPolicy](cluster.hosts, { ...deps, cluster })
}
