/**
 * The location cache (upstream/location-cache.ts) over the Workers Cache API
 * (`caches.default`): one JSON body per key, the metadata in headers so a
 * version check reads no body. On *.workers.dev (and in the dashboard
 * preview) the Cache API keeps nothing; once three of this isolate's own puts
 * are missing when read back and nothing was ever found, the cache reports
 * itself ineffective and callers go straight to the origin, as without it.
 * https://developers.cloudflare.com/workers/runtime-apis/cache/
 */
import type { CacheMeta, LocationCache } from '../upstream/location-cache.js'

/** Not a real host: the keys only need to be URLs of this Worker's zone cache. */
const ORIGIN = 'https://edgevoy-cache.internal'
const FETCHED = 'x-edgevoy-fetched-at'
const LEASE = 'x-edgevoy-lease-until'
const VERSION = 'x-edgevoy-version'
const WRITER = 'x-edgevoy-writer'
const MISSES_BEFORE_GIVING_UP = 3

export class WorkersLocationCache implements LocationCache {
  readonly #cache: Cache
  readonly #putAt = new Map<string, number>()
  #found = false
  #lost = 0

  constructor(cache: Cache, readonly now: () => number = Date.now) {
    this.#cache = cache
  }

  get effective(): boolean {
    return this.#found || this.#lost < MISSES_BEFORE_GIVING_UP
  }

  async get(key: string, want: (meta: CacheMeta) => boolean): Promise<{ meta: CacheMeta; value?: unknown } | undefined> {
    const res = await this.#cache.match(ORIGIN + key)
    if (!res) {
      const put = this.#putAt.get(key)
      // Our own entry, put with max-age ≥ 60 s, gone within 30 s: the cache keeps nothing.
      if (put !== undefined && !this.#found && this.now() - put < 30_000) this.#lost++
      return undefined
    }
    this.#found = true
    const meta = { fetchedAt: Number(res.headers.get(FETCHED)) || 0, leaseUntil: Number(res.headers.get(LEASE)) || 0, version: Number(res.headers.get(VERSION)) || 0, writer: res.headers.get(WRITER) ?? undefined }
    if (!want(meta)) {
      await res.body?.cancel()
      return { meta }
    }
    return { meta, value: await res.json() }
  }

  async put(key: string, meta: CacheMeta, value: unknown, keepMs: number): Promise<void> {
    if (!this.#found) this.#putAt.set(key, this.now())
    const headers = { 'content-type': 'application/json', 'cache-control': `max-age=${Math.ceil(keepMs / 1000)}`, [FETCHED]: String(meta.fetchedAt), [LEASE]: String(meta.leaseUntil), [VERSION]: String(meta.version), ...(meta.writer ? { [WRITER]: meta.writer } : {}) }
    await this.#cache.put(ORIGIN + key, new Response(JSON.stringify(value), { headers }))
  }
}
