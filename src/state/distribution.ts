/**
 * How config versions and health reports reach this isolate — the fan-out
 * chosen with bench/sim (BENCHMARKS.md, "Config and health distribution"):
 * one look at the health hub's answer, shared by the location's isolates
 * through its cache, tells an isolate every cluster's health and the latest
 * config version (upstream/health/hub-look.ts); KV is read only when that
 * version is newer than what the isolate serves. The isolate's loops are
 * unchanged (when it looks); only where a look goes is. The composition root
 * (src/index.ts) wires it; bench/sim wires both this and the direct design.
 */
import { HubLook } from '../upstream/health/hub-look.js'
import { locationCachedHealth } from '../upstream/health/cached.js'
import { namespaceResolver, type HealthHub } from '../upstream/health/authority.js'
import type { ClusterManagerDeps } from '../upstream/cluster-manager.js'
import type { LocationCache } from '../upstream/location-cache.js'
import { hubConfig } from './config-source.js'
import type { StateEnv } from './env.js'
import { kvSource, type RefreshDeps } from './refresh.js'

export interface Distribution {
  readonly health: NonNullable<ClusterManagerDeps['health']>
  readonly refresh: RefreshDeps
}

/** Every isolate reads KV each refresh and polls the hub for each watched cluster twice per check interval. */
export function directDistribution(now: () => number): Distribution {
  return { health: {}, refresh: { now, source: kvSource } }
}

/** The hub this env binds (the HEALTH namespace's `hub:health` object), if any — read through its D1 row when EDGEVOY_DB is bound. */
export const envHub = (env: StateEnv): (() => HealthHub) | undefined => (env.HEALTH ? namespaceResolver(env.HEALTH as never, env.EDGEVOY_DB).hub : undefined)

/**
 * Through the location's cache and the health hub. `writer`: this isolate's
 * id in the location's entries (random per isolate).
 */
export function locationDistribution(cache: LocationCache, now: () => number, writer: string, random: () => number, hubOf: (env: StateEnv) => (() => HealthHub) | undefined = envHub): Distribution {
  const look = new HubLook(cache, now, writer, random)
  return { health: { source: locationCachedHealth(cache, now, look) }, refresh: { now, source: hubConfig(cache, now, look, hubOf) } }
}
