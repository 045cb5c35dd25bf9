/**
 * A value shared by the isolates of one Cloudflare location through the
 * location's cache (the Workers Cache API: per data center, free, not
 * replicated), so that about one isolate per location per freshness window
 * asks the origin (a health authority Durable Object, KV) and the others read
 * the copy.
 *
 * A stale entry is refreshed by the first isolate that finds it so: it puts
 * the entry back with a short *lease* before asking the origin, and isolates
 * that find a leased entry use the stale copy instead of asking too (no
 * thundering herd when a busy location's entry expires). The entry's age is
 * judged from `fetchedAt`, written by the isolate that fetched it; the cache's
 * own expiry (`keepMs`) only bounds how long an abandoned entry lingers.
 * https://developers.cloudflare.com/workers/runtime-apis/cache/
 * bench/sim (BENCHMARKS.md, "Config and health distribution") chose the windows.
 */

/** What an entry says about itself, readable without its body. */
export interface CacheMeta {
  /** When the value was fetched from the origin (the fetching isolate's clock, ms). */
  readonly fetchedAt: number
  /** Until when an isolate is refreshing it (ms; 0 = none). */
  readonly leaseUntil: number
  /** The value's version (a published config's), 0 when unversioned. */
  readonly version: number
  /** Which isolate put it (health/hub-look.ts: an isolate alone at its location does not re-put its own copy). */
  readonly writer?: string
}

export interface LocationCache {
  /** False once the cache is seen to keep nothing (on *.workers.dev the Cache API is a no-op): callers go to the origin. */
  readonly effective: boolean
  /** The entry's metadata, and its value when `want(meta)` is true (reading the body costs CPU). */
  get(key: string, want: (meta: CacheMeta) => boolean): Promise<{ meta: CacheMeta; value?: unknown } | undefined>
  put(key: string, meta: CacheMeta, value: unknown, keepMs: number): Promise<void>
}

export interface ReadThroughOptions {
  /** An entry younger than this is used as is. */
  readonly freshMs: number
  /** How long a refreshing isolate holds the lease (covers the origin's round trip). */
  readonly leaseMs: number
  /** How long the cache keeps an entry at all. */
  readonly keepMs: number
  readonly now: () => number
  /** The value's version, for `have` (default 0). */
  readonly versionOf?: (value: unknown) => number
}

/** Returned instead of a value when the location's entry is fresh and not newer than what the caller has. */
export const NOT_NEWER: unique symbol = Symbol('edgevoy.not-newer')

/**
 * The location's copy of `key` if fresh (or being refreshed by another
 * isolate), else `load()`'s value, stored for the location. With `have`, a
 * fresh entry whose version is not above it answers NOT_NEWER without its
 * body being read. `load` answering undefined stores nothing.
 */
export async function readThrough(cache: LocationCache, key: string, o: ReadThroughOptions, load: () => Promise<unknown>, have = Number.NEGATIVE_INFINITY): Promise<unknown> {
  if (!cache.effective) return load()
  const now = o.now()
  const usable = (m: CacheMeta) => now - m.fetchedAt < o.freshMs || m.leaseUntil > now
  const hit = await cache.get(key, (m) => m.version > have || !usable(m))
  if (hit) {
    if (usable(hit.meta)) return hit.meta.version > have ? hit.value : NOT_NEWER
    // Stale and nobody refreshing: take the lease; meanwhile the others keep using the stale copy.
    await cache.put(key, { ...hit.meta, leaseUntil: now + o.leaseMs }, hit.value, o.keepMs)
  }
  const value = await load()
  if (value !== undefined) await cache.put(key, { fetchedAt: o.now(), leaseUntil: 0, version: o.versionOf?.(value) ?? 0 }, value, o.keepMs)
  return value
}
