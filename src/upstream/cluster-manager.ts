/**
 * The per-isolate upstream state: one load balancer per cluster, kept across
 * snapshots while the cluster's config is unchanged (its hash), so a routes-only
 * change does not reset round-robin positions. Keyed by cluster name — never
 * stored on snapshot objects, which are frozen and shared.
 */
import type { Cluster, Host } from '../compile/types.js'
import { createLoadBalancer, type LbContext, type LbDeps, type LoadBalancer } from './lb/index.js'

export class ClusterManager {
  readonly #deps: LbDeps
  readonly #balancers = new Map<string, { hash: string; lb: LoadBalancer }>()

  constructor(deps: LbDeps) {
    this.#deps = deps
  }

  chooseHost(cluster: Cluster, context?: LbContext): Host | undefined {
    let entry = this.#balancers.get(cluster.name)
    if (!entry || entry.hash !== cluster.hash) {
      entry = { hash: cluster.hash, lb: createLoadBalancer(cluster, this.#deps) }
      this.#balancers.set(cluster.name, entry)
    }
    return entry.lb.chooseHost(context)
  }
}
