/**
 * How config versions and health reports reach this isolate — the fan-out
 * chosen with bench/sim (BENCHMARKS.md, "Config and health distribution"):
 * through the location's cache, so about one isolate per Cloudflare location
 * per window reads KV or asks the health hub for every cluster's report. The
 * isolate's loops are unchanged (when it looks); only where a look goes is.
 * The composition root (src/index.ts) wires it; bench/sim wires both this
 * and the direct design it replaced.
 */
import { locationCachedHealth } from '../upstream/health/cached.js'
import type { ClusterManagerDeps } from '../upstream/cluster-manager.js'
import type { LocationCache } from '../upstream/location-cache.js'
import { locationCachedConfig } from './config-source.js'
import { kvSource, type RefreshDeps } from './refresh.js'

export interface Distribution {
  readonly health: NonNullable<ClusterManagerDeps['health']>
  readonly refresh: RefreshDeps
}

/** Every isolate reads KV each refresh and polls each watched cluster's authority twice per check interval. */
export function directDistribution(now: () => number): Distribution {
  return { health: {}, refresh: { now, source: kvSource } }
}

/** Through the location's cache and the health hub. */
export function locationDistribution(cache: LocationCache, now: () => number): Distribution {
  return { health: { source: locationCachedHealth(cache, now) }, refresh: { now, source: locationCachedConfig(cache, now) } }
}
