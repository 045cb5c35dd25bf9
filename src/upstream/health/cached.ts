/**
 * Health reports through the location's cache (upstream/location-cache.ts)
 * and the health hub: an isolate reads every cluster's report in the hub's
 * one answer (hub-look.ts, which also carries the config version) — from its
 * own copy while that is younger than HUB_AGE_PERIODS poll periods, else from
 * the location's copy or the hub itself. So about one request per location
 * per look reaches a Durable Object for all clusters and the config together,
 * where each isolate used to poll each cluster's authority and read KV.
 *
 * A cluster the digest does not carry yet (just registered, another config
 * hash, the hub restarted) is polled from its own authority, still through
 * the location's cache, and registered when the authority does not know it.
 *
 * Bound: the copy a poll uses is at most HUB_AGE_PERIODS poll periods (+ a
 * round trip) old and the poller applies it within one more period: a
 * request sees a report at most 4.2 periods = 2.1 check intervals (+ a
 * round trip) after the authority's check round computed it.
 */
import type { ClusterHealthReport } from './flags.js'
import { NOT_NEWER, readThrough, type LocationCache } from '../location-cache.js'
import type { HubLook } from './hub-look.js'
import type { HealthSource } from './poller.js'

/** How long a refreshing isolate holds an entry: one Durable Object round trip, with room. */
export const HEALTH_LEASE_MS = 1000
/**
 * How old (in poll periods, half a check interval each) the hub's answer an
 * isolate uses may be: 1.6 intervals, so with the poller's period a request
 * sees a report at most 2.1 intervals (+ a round trip) after the check round
 * — within the goal of 2 intervals + 1 s for intervals up to ~8 s.
 */
export const HUB_AGE_PERIODS = 3.2
const KEEP_MS = 60_000

export function locationCachedHealth(cache: LocationCache, now: () => number, look: HubLook): HealthSource {
  return async (resolve, cluster, periodMs) => {
    if (resolve.hub) {
      const d = (await look.get(resolve.hub, HUB_AGE_PERIODS * periodMs))?.state
      const r = d?.reports[cluster.name]
      // An authority publishes every check interval (2 periods): an older report means it stopped (no checks, paused).
      if (r && r.hash === cluster.hash && d!.generatedAt - r.generatedAt <= 6 * periodMs) return r
    }
    const key = `/health/cluster/${encodeURIComponent(cluster.name)}/${cluster.hash}`
    const value = await readThrough(cache, key, { freshMs: periodMs, leaseMs: HEALTH_LEASE_MS, keepMs: KEEP_MS, now }, async () => {
      const report = await resolve(cluster.name).poll(cluster.hash)
      // Not cached: the poller registers the target and polls again, directly.
      return report === 'unregistered' ? undefined : report
    })
    return value === undefined || value === NOT_NEWER ? 'unregistered' : (value as ClusterHealthReport)
  }
}
