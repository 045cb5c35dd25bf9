/**
 * The published config through the location's cache (upstream/location-cache.ts).
 *
 * With the health hub (the default on Cloudflare): the hub's one answer
 * (upstream/health/hub-look.ts) carries the latest published version, so an
 * isolate reads KV only when that version is newer than what it serves — and
 * then through a location entry keyed by the version, so one KV read serves
 * the location. When nothing changed, checking costs nothing beyond the look
 * the health poller makes anyway.
 *
 * Without it (no HEALTH binding, or a hub that does not know the version):
 * one isolate per location reads KV about every CONFIG_FRESH_MS, the others
 * read the location's copy, and when its version is not above theirs they
 * stop at the entry's headers (no body, no JSON parse). "Nothing published"
 * is cached too.
 *
 * With D1 (EDGEVOY_DB): the newer version is read as D1 rows (state/config-rows.ts,
 * written by the config authority before it tells the hub) — KV only when
 * they are not there.
 *
 * Bound: the config authority tells the hub each version as it publishes it;
 * the isolate's copy of the hub's answer is at most HUB_CONFIG_AGE_MS old
 * (the health poller keeps it younger while there is traffic) and it checks
 * every CONFIG_REFRESH_SECONDS; KV serves a location a value at most
 * KV_CACHE_TTL_S old — a location that reads the older value reads again
 * after LAG_RETRY_MS: 20 + 30 + 5 s + the refresh interval. Without the hub:
 * KV's cacheTtl + CONFIG_FRESH_MS + the refresh interval. Either way within
 * KV's own 60 s + the refresh interval.
 * https://developers.cloudflare.com/kv/api/read-key-value-pairs/#cachettl-parameter
 */
import { NOT_NEWER, readThrough, type LocationCache } from '../upstream/location-cache.js'
import type { HealthHub } from '../upstream/health/authority.js'
import type { HubLook } from '../upstream/health/hub-look.js'
import { lazyModule } from '../lazy-module.js'
import { PUBLISHED_KEY, type PublishedConfig } from './published.js'
import type { ConfigSource } from './refresh.js'
import type { StateEnv } from './env.js'

/** KV's minimum cacheTtl: how old a value KV itself may hand a location. */
export const KV_CACHE_TTL_S = 30
/** How long the location's copy is used before an isolate reads KV again (without the hub). */
export const CONFIG_FRESH_MS = 30_000
/** The oldest copy of the hub's answer a config check accepts (the health poller's is younger). */
export const HUB_CONFIG_AGE_MS = 20_000
const CONFIG_LEASE_MS = 2000
/** A version's entry never changes: the location keeps it as long as its cache will (a new isolate reads it there, not KV). */
const VERSION_KEEP_MS = 24 * 60 * 60_000
/** How long a location waits before reading KV again when KV answered with an older version than the hub announced. */
export const LAG_RETRY_MS = 5000
const CACHE_KEY = '/config/current'
/** The D1 rows' reader: only a deployment with EDGEVOY_DB uses it, imported on its first read (a chunk of its own). */
const CONFIG_ROWS = lazyModule(() => import('./config-rows.js'))

const versionOf = (v: unknown) => (v as PublishedConfig | null)?.version ?? 0
const readKv = (kv: KVNamespace) => kv.get(PUBLISHED_KEY, { type: 'json', cacheTtl: KV_CACHE_TTL_S })
/** Version `version`: its D1 rows when there are, else KV (which may still hand out an older one). */
const readVersion = async (kv: KVNamespace, version: number, env: StateEnv | undefined) => (env?.EDGEVOY_DB && (await (await CONFIG_ROWS.load()).readConfigRows(env.EDGEVOY_DB, version))) || readKv(kv)

export function locationCachedConfig(cache: LocationCache, now: () => number): ConfigSource {
  const options = { freshMs: CONFIG_FRESH_MS, leaseMs: CONFIG_LEASE_MS, keepMs: 2 * CONFIG_FRESH_MS, now, versionOf }
  // `null` (nothing published) is stored too: its version 0 is the base's.
  return { read: (kv, have) => readThrough(cache, CACHE_KEY, options, () => readKv(kv), have) }
}

/** The version from the hub's answer; KV only for a newer one (see above). `hubOf`: the hub this env binds, if any. */
export function hubConfig(cache: LocationCache, now: () => number, look: HubLook, hubOf: (env: StateEnv) => (() => HealthHub) | undefined): ConfigSource {
  const fallback = locationCachedConfig(cache, now)
  return {
    read: async (kv, have, env) => {
      const hub = env && hubOf(env)
      const version = hub ? (await look.get(hub, HUB_CONFIG_AGE_MS))?.state.configVersion : undefined
      if (version === undefined) return fallback.read(kv, have, env)
      if (version <= have) return NOT_NEWER
      if (!cache.effective) return readVersion(kv, version, env)
      // Version `version` never changes: its location entry is kept as long as the cache will.
      const key = `/config/v/${version}`
      const hit = await cache.get(key, (m) => m.version > have)
      // A KV replica still serving an older value (KV caches a read up to KV_CACHE_TTL_S): stored
      // under the new version for LAG_RETRY_MS only, so the location's isolates do not all re-read.
      if (hit && (hit.meta.version >= version || now() - hit.meta.fetchedAt < LAG_RETRY_MS)) return hit.meta.version > have ? hit.value : NOT_NEWER
      const value = await readVersion(kv, version, env)
      const got = versionOf(value)
      await cache.put(key, { fetchedAt: now(), leaseUntil: 0, version: got }, value, got >= version ? VERSION_KEEP_MS : 2 * LAG_RETRY_MS)
      return value
    },
  }
}
