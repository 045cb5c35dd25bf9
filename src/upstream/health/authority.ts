/**
 * The contract between isolates and the health authority: the Durable Object
 * (src/state/health-authority.ts, the hub `hub:health`) that runs every
 * cluster's active health checks on one alarm loop and is the one place
 * every isolate reads them from. Isolates see a `HealthAuthority` per
 * cluster (poll, register, …), which the resolver maps onto the hub's
 * cluster-qualified methods.
 */
import type { HealthCheckPolicy } from '../../compile/types.js'
import type { Cluster, HostHealthStatus } from '../../compile/types.js'
import type { ClusterHealthReport } from './flags.js'
import { rowFirstHub, type D1Like } from './hub-row.js'

/** What the authority checks for one cluster (sent by an isolate that uses the cluster). */
export interface HealthTarget {
  readonly cluster: string
  readonly hash: string
  readonly hosts: readonly { readonly address: string; readonly origin: string; readonly hostname: string }[]
  /** The first `health_checks` entry; undefined: nothing to check, overrides only. */
  readonly check: HealthCheckPolicy | undefined
}

/** The authority's RPC surface (a Durable Object stub satisfies it). */
export interface HealthAuthority {
  /** The cluster's report, or 'unregistered' when the authority holds no target for this hash. */
  poll(hash: string): Promise<ClusterHealthReport | 'unregistered'>
  register(target: HealthTarget): Promise<void>
  /** An upstream answered with `x-envoy-immediate-health-check-fail`. */
  reportImmediateFail(address: string): Promise<void>
  /** Admin: override the endpoint's health_status (DRAINING, UNHEALTHY, …), or clear it with null. */
  setOverride(address: string, status: HostHealthStatus | null): Promise<ClusterHealthReport | 'unknown_host'>
}

/**
 * Every cluster's report in one answer (the hub runs every cluster's checks),
 * so a location learns all clusters' health with one request instead of one
 * per cluster (bench/sim: the request count, not the per-object load, is
 * what the bill is made of).
 */
export interface HealthDigest {
  readonly generatedAt: number
  readonly reports: Readonly<Record<string, ClusterHealthReport>>
  /**
   * The latest published config's version as the hub knows it (the config
   * authority tells it on every publish; it re-reads KV now and then), so the
   * same one answer tells an isolate whether to read KV at all. Undefined:
   * the hub does not know (no CONFIG binding): read KV as before.
   */
  readonly configVersion?: number
}

export interface HealthHub {
  digest(): Promise<HealthDigest>
  /** The config authority published this version (best effort; the hub also re-reads KV). */
  setConfigVersion(version: number): Promise<void>
}

/** The hub's per-cluster methods (the Durable Object's RPC surface beside HealthHub). */
export interface HubAuthority {
  pollCluster(cluster: string, hash: string): Promise<ClusterHealthReport | 'unregistered'>
  register(target: HealthTarget): Promise<void>
  reportImmediateFailFor(cluster: string, address: string): Promise<void>
  setOverrideFor(cluster: string, address: string, status: HostHealthStatus | null): Promise<ClusterHealthReport | 'unknown_host'>
}

/** The authority of a cluster, by name, and the hub when there is one. */
export type HealthAuthorityResolver = ((cluster: string) => HealthAuthority) & { readonly hub?: () => HealthHub }

/** The hub's object name. */
export const HUB_NAME = 'hub:health'

export function healthTarget(cluster: Cluster, check: HealthCheckPolicy | undefined): HealthTarget {
  return {
    cluster: cluster.name,
    hash: cluster.hash,
    hosts: cluster.hosts.map((h) => ({ address: h.address, origin: h.origin, hostname: h.hostname })),
    check,
  }
}

/** The part of a Durable Object namespace binding the resolver uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown
  get(id: never): unknown
}

/**
 * Resolver over a Durable Object namespace binding (`HEALTH`): every cluster's
 * authority is the hub. With a D1 binding (`EDGEVOY_DB`), looks at the hub's
 * digest read its D1 row first (hub-row.ts).
 */
export function namespaceResolver(ns: DurableObjectNamespaceLike, db?: D1Like, now: () => number = Date.now): HealthAuthorityResolver {
  const hub = () => ns.get(ns.idFromName(HUB_NAME) as never) as HubAuthority & HealthHub
  return Object.assign((cluster: string): HealthAuthority => clusterView(hub(), cluster), { hub: rowFirstHub(hub, db, now) })
}

/** One cluster's authority as a view of the hub. */
export function clusterView(hub: HubAuthority, cluster: string): HealthAuthority {
  return {
    poll: (hash) => hub.pollCluster(cluster, hash),
    register: (target) => hub.register(target),
    reportImmediateFail: (address) => hub.reportImmediateFailFor(cluster, address),
    setOverride: (address, status) => hub.setOverrideFor(cluster, address, status),
  }
}
