/**
 * Health reports through the location's cache (upstream/location-cache.ts)
 * and the health hub: an isolate reads every cluster's report in one digest
 * — from its own memory within half a poll period, else from the location's
 * cache, and only when the location's copy is older than a poll period from
 * the hub itself. So about one request per location per poll period reaches
 * a Durable Object for all clusters together, where each isolate used to
 * poll each cluster's authority (bench/sim: at 1M req/s, ~100 req/s onto the
 * hub instead of thousands onto each authority).
 *
 * A cluster the digest does not carry yet (just registered, another config
 * hash, the hub restarted) is polled from its own authority, still through
 * the location's cache, and registered when the authority does not know it.
 *
 * Bound: the location's copy is at most a poll period (+ a lease) old, the
 * isolate polls every period: a request sees a report at most one check
 * interval plus a lease and the round trips old (the authority itself runs a
 * check round every interval).
 */
import type { ClusterHealthReport } from './flags.js'
import { NOT_NEWER, readThrough, type LocationCache } from '../location-cache.js'
import type { HealthDigest } from './authority.js'
import type { HealthSource } from './poller.js'

/** How long a refreshing isolate holds an entry: one Durable Object round trip, with room. */
export const HEALTH_LEASE_MS = 1000
const KEEP_MS = 60_000

export function locationCachedHealth(cache: LocationCache, now: () => number): HealthSource {
  let memo: { digest: HealthDigest | undefined; at: number } | undefined
  let loading: Promise<HealthDigest | undefined> | undefined

  const digest = (hub: NonNullable<Parameters<HealthSource>[0]['hub']>, periodMs: number): Promise<HealthDigest | undefined> => {
    if (memo && now() - memo.at < periodMs / 2) return Promise.resolve(memo.digest)
    return (loading ??= readThrough(cache, '/health/digest', { freshMs: periodMs, leaseMs: HEALTH_LEASE_MS, keepMs: KEEP_MS, now }, () => hub().digest())
      .then((d) => {
        memo = { digest: d as HealthDigest | undefined, at: now() }
        return memo.digest
      })
      .finally(() => (loading = undefined)))
  }

  return async (resolve, cluster, periodMs) => {
    if (resolve.hub) {
      const d = await digest(resolve.hub, periodMs).catch(() => undefined)
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
