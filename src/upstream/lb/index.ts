/**
 * Picks the load balancer for a cluster's `lb_policy`.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
 *
 * Every policy is wrapped the same way: locality picking (locality.ts: colo
 * affinity and `locality_weighted_lb_config`, inactive unless the cluster sets
 * them) and pick counting for `/clusters` (stats.ts, when `deps.cluster` is
 * given).
 *
 * Random, least request, ring hash and Maglev (and locality picking) are
 * imported only for a snapshot with a cluster that uses them (`loadLoadBalancers`, awaited where the snapshot
 * is made ready to serve, state/serving.ts), like the HTTP filters; so is
 * the route hash policy (`loadHashPolicy`), for a snapshot whose routes have one.
 */
import type { Cluster, HashPolicy, LbPolicy } from '../../compile/types'
import { lazyModule } from '../../lazy-module'
import { coloRegions, localityWeighted } from './lb-config'
import { createRoundRobin } from './round-robin'
import { counted } from './stats'
import type { LbDeps, LoadBalancer, LoadBalancerFactory } from './types'
import type { HashResult } from './hash-policy'

export type { LbContext, LbDeps, LoadBalancer, LoadBalancerFactory } from './types'
export { activeRequests } from './active-requests'
export type { HashResult } from './hash-policy'
export { lbStats, type HostLbStats } from './stats'

/** CLUSTER_PROVIDED needs a cluster type that brings its own balancer (ORIGINAL_DST); round robin stands in. */
const clusterProvided: LoadBalancerFactory = (hosts, deps) => {
  const rr = createRoundRobin(hosts, deps)
  return { policy: 'CLUSTER_PROVIDED', chooseHost: (context) => rr.chooseHost(context) }
}

// Locality picking (locality.ts) only for a cluster that sets it up; for any other, withLocality
// returns the inner balancer itself. Its code is imported for a snapshot with such a cluster (loadLocality).
const LOCALITY = lazyModule(() => import('./locality.js'))
const usesLocality = (cluster: Cluster | undefined) => localityWeighted(cluster) || coloRegions(cluster) !== undefined

const withLocality =
  (inner: LoadBalancerFactory): LoadBalancerFactory =>
  (hosts, deps) =>
    usesLocality(deps.cluster) ? LOCALITY.expect('edgevoy: locality picking is not loaded: await loadLocality() before serving a snapshot whose clusters use it').withLocality(inner)(hosts, deps) : inner(hosts, deps)

/** Import locality picking if one of `clusters` uses it, or with no clusters given, at once (once per isolate). */
export async function loadLocality(clusters?: Iterable<Cluster>): Promise<void> {
  if (clusters === undefined || [...clusters].some(usesLocality)) await LOCALITY.load()
}

const wrap = (factory: LoadBalancerFactory): LoadBalancerFactory => counted(withLocality(factory))

// One literal import() per policy, so the bundler sees each chunk.
const LAZY = {
  RANDOM: lazyModule(async () => wrap((await import('./random.js')).createRandom)),
  LEAST_REQUEST: lazyModule(async () => wrap((await import('./least-request.js')).createLeastRequest)),
  RING_HASH: lazyModule(async () => wrap((await import('./ring-hash.js')).createRingHash)),
  MAGLEV: lazyModule(async () => wrap((await import('./maglev.js')).createMaglev)),
}
type LazyPolicy = keyof typeof LAZY

/** The policies imported on demand (tests preload them). */
export const LAZY_LB_POLICIES = Object.freeze(Object.keys(LAZY) as LbPolicy[])

const isLazy = (policy: LbPolicy): policy is LazyPolicy => LAZY_LB_POLICIES.includes(policy)

const lazy =
  (policy: LazyPolicy): LoadBalancerFactory =>
  (hosts, deps) =>
    LAZY[policy].expect(`edgevoy: the ${policy} load balancer is not loaded: await loadLoadBalancers() before serving a snapshot that uses it`)(hosts, deps)

/** Every policy's factory; the lazily imported ones work once `loadLoadBalancers` has imported them. */
export const LOAD_BALANCERS: Record<LbPolicy, LoadBalancerFactory> = {
  ROUND_ROBIN: wrap(createRoundRobin),
  RANDOM: lazy('RANDOM'),
  LEAST_REQUEST: lazy('LEAST_REQUEST'),
  RING_HASH: lazy('RING_HASH'),
  MAGLEV: lazy('MAGLEV'),
  CLUSTER_PROVIDED: wrap(clusterProvided),
}

/** Import the balancers of these policies (each once per isolate; a failed import is tried again by the next call). */
export async function loadLoadBalancers(policies: Iterable<LbPolicy>): Promise<void> {
  await Promise.all([...new Set(policies)].filter(isLazy).map((p) => LAZY[p].load()))
}

const HASH_POLICY = lazyModule(() => import('./hash-policy.js'))
const NO_HASH: HashResult = Object.freeze({})

/** Import the route hash policy's code (once per isolate; upstream/on-demand.ts decides when). */
export const loadHashPolicy = async (): Promise<void> => void (await HASH_POLICY.load())

/** The request's hash by the route's `hash_policy` (lb/hash-policy.ts); none without one. */
export function computeHash(policies: readonly HashPolicy[] | undefined, request: Request, random: () => number): HashResult {
  if (!policies?.length) return NO_HASH
  return HASH_POLICY.expect('edgevoy: the hash policy is not loaded: await loadUpstreamFor() before serving a snapshot whose routes hash').computeHash(policies, request, random)
}

/**
 * A balancer over all of `cluster.hosts`. The health-aware layer calls the
 * factory directly with only the healthy hosts, and rebuilds on change.
 */
export function createLoadBalancer(cluster: Cluster, deps: LbDeps): LoadBalancer {
  return LOAD_BALANCERS[cluster.lbPolicy](cluster.hosts, { ...deps, cluster })
}
