/**
 * The published config through the location's cache (upstream/location-cache.ts):
 * one isolate per location reads KV about every CONFIG_FRESH_MS, the others
 * read the location's copy, and when its version is not above theirs they
 * stop at the entry's headers (no body, no JSON parse). "Nothing published"
 * is cached too, so a Worker that never uses the admin API reads KV once per
 * location per window, not once per isolate every CONFIG_REFRESH_SECONDS.
 *
 * Bound: KV serves a location a value at most KV_CACHE_TTL_S old (its cacheTtl),
 * the location's copy is at most CONFIG_FRESH_MS older, and an isolate checks
 * every CONFIG_REFRESH_SECONDS: a published version reaches every request
 * within 60 s + the refresh interval (+ round trips) — KV's own default bound
 * plus the refresh, as before, at one KV read per location per 30 s.
 * https://developers.cloudflare.com/kv/api/read-key-value-pairs/#cachettl-parameter
 */
import { readThrough, type LocationCache } from '../upstream/location-cache.js'
import { PUBLISHED_KEY, type PublishedConfig } from './published.js'
import type { ConfigSource } from './refresh.js'

/** KV's minimum cacheTtl: how old a value KV itself may hand a location. */
export const KV_CACHE_TTL_S = 30
/** How long the location's copy is used before an isolate reads KV again. */
export const CONFIG_FRESH_MS = 30_000
const CONFIG_LEASE_MS = 2000
const CACHE_KEY = '/config/current'

export function locationCachedConfig(cache: LocationCache, now: () => number): ConfigSource {
  const options = { freshMs: CONFIG_FRESH_MS, leaseMs: CONFIG_LEASE_MS, keepMs: 2 * CONFIG_FRESH_MS, now, versionOf: (v: unknown) => (v as PublishedConfig | null)?.version ?? 0 }
  // `null` (nothing published) is stored too: its version 0 is the base's.
  return { read: (kv, have) => readThrough(cache, CACHE_KEY, options, () => kv.get(PUBLISHED_KEY, { type: 'json', cacheTtl: KV_CACHE_TTL_S }), have) }
}
