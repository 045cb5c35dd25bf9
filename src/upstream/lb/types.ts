/**
 * One interface, one file per policy (Hono's `Router` shape): every load
 * balancer is built once from a host list and then only picks. When cluster
 * membership or health changes, the caller builds a new balancer from the new
 * host set (Envoy recomputes LB state on membership change, not per pick).
 */
import type { Cluster, Host, LbPolicy } from '../../compile/types'

export interface LbContext {
  /** Hosts to skip, e.g. a retry that must land on another host. */
  readonly exclude?: ReadonlySet<Host>
  /** The downstream request, for policies that hash on it (RING_HASH, MAGLEV). */
  readonly request?: Request
  /**
   * The route's `hash_policy` result (see hash-policy.ts), for RING_HASH and
   * MAGLEV. Absent: they hash a random number, as Envoy does.
   */
  readonly hash?: bigint
}

export interface LoadBalancer {
  readonly policy: LbPolicy
  /** A host to send to, or undefined when every host is excluded or there are none. */
  chooseHost(context?: LbContext): Host | undefined
}

/** Injected so tests control the randomness and the clock. */
export interface LbDeps {
  /** Uniform in [0, 1). */
  random: () => number
  now: () => number
  /**
   * The cluster the balancer serves: its raw `*_lb_config`, `common_lb_config`
   * and name (pick counters). Absent: every policy uses Envoy's defaults.
   */
  cluster?: Cluster
}

export type LoadBalancerFactory = (hosts: readonly Host[], deps: LbDeps) => LoadBalancer
