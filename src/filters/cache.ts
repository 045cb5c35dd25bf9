/**
 * `envoy.filters.http.cache` on the Workers Cache API. A Worker runs before
 * Cloudflare's own cache, so this is the one cache inside the proxy, and it
 * behaves as Envoy's CacheFilter (source/extensions/filters/http/cache/cache_filter.cc):
 *
 * - A GET or HEAD without body, Authorization or conditional headers is
 *   looked up (others pass by untouched, cacheability_utils.cc).
 * - A fresh entry is served as is, with `Age` (RFC 9111 §4.2.3) and nothing
 *   else added (Envoy adds no cache-status header).
 * - A stale entry, or one the request's `no-cache` / `max-age` / `min-fresh`
 *   refuses, is validated: the request goes upstream with `If-None-Match`
 *   (its ETag) and `If-Modified-Since` (its Last-Modified, else its Date); a
 *   304 is answered with the stored body under the stored headers updated by
 *   the 304's, without Age, and refreshes the entry unless the 304 names
 *   another ETag (CacheFilter::processSuccessfulValidation, shouldUpdateCachedEntry).
 * - Any other answer is a miss: stored if the request allows (no `no-store`,
 *   not HEAD) and the response is storable (policy.ts), teed to the client
 *   and the cache at once.
 *
 * thundering_herd_handler: Envoy's default `none` is what runs — every miss
 * goes upstream (`block_until_completion` is warned about, not applied).
 *
 * Stats, as Envoy's cache stats.cc names them:
 * `cache.event.cache_label.<storage>.event_type.{hit,miss,validate,failed_validation,uncacheable,lookup_error}`.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/cache_filter
 */
import { currentAge, httpTime, requestBypassReason, requestCacheControl, requiresValidation, responseNotStorableReason, varyNames } from './cache/policy.js'
import { CACHE_NAME, type CachedResponse, cacheKey, insert, lookup, nullBodyStatus, update } from './cache/store.js'
import { editRequestHeaders } from './request.js'
import type { FilterContext, FilterFactory } from './types.js'

/** Work that outlives the response: the Worker's waitUntil (without a ctx, it just runs). */
function background(c: FilterContext, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p)
  } catch {
    void p
  }
}

/** The stored body to answer with: none for HEAD or a bodiless status (read and dropped). */
async function bodyOf(entry: CachedResponse, head: boolean): Promise<ReadableStream | null> {
  if (!head && !nullBodyStatus(entry.status)) return entry.body
  await entry.body?.cancel()
  return null
}

/** CacheFilter::encodeCachedResponse sets ResponseFromCacheFilter: `RFCF` in %RESPONSE_FLAGS%. */
function servedFromCache(c: FilterContext): void {
  c.set('responseFlags', [...(c.get('responseFlags') ?? []), 'RFCF'])
}

/** CacheFilter::injectValidationHeaders. */
function injectValidators(c: FilterContext, entry: CachedResponse): void {
  const etag = entry.headers.get('etag')
  const lastModified = entry.headers.get('last-modified')
  const since = httpTime(lastModified) !== undefined ? lastModified : entry.headers.get('date')
  editRequestHeaders(c, (h) => {
    if (etag) h.set('if-none-match', etag)
    if (since) h.set('if-modified-since', since)
  })
}

/** The 304's headers over the stored ones, the stored status, no Age (CacheFilter::processSuccessfulValidation). */
function mergeValidated(notModified: Headers, stored: Headers): Headers {
  const merged = new Headers(notModified)
  merged.delete('content-length')
  for (const [name, value] of stored) if (name !== 'age' && !merged.has(name)) merged.set(name, value)
  return merged
}

export const cacheFilter: FilterFactory<'cache'> = {
  kind: 'cache',
  name: 'envoy.filters.http.cache',
  statName: 'cache',
  create(config, { stat, deps }) {
    // CacheConfig.disabled: "the cache filter is a no-op filter".
    if (config.disabled) return async (_c, next) => next()
    const event = (e: string) => stat(`cache.event.cache_label.${config.statLabel}.event_type.${e}`)
    let opened: Promise<Cache> | undefined
    return async (c, next) => {
      const req = c.req.raw
      if (requestBypassReason(req) !== undefined || typeof caches === 'undefined') return next()
      const head = req.method === 'HEAD'
      const requestControl = requestCacheControl(req.headers, config.ignoreRequestCacheControl)
      const key = cacheKey(new URL(req.url), config)
      let cache: Cache
      let found: CachedResponse | undefined
      try {
        cache = await (opened ??= caches.open(CACHE_NAME))
        found = await lookup(cache, key, req.headers, config.varyAllowed)
      } catch {
        // CacheEntryStatus::LookupError: the request goes upstream, nothing is inserted.
        event('lookup_error')
        return next()
      }
      if (found) {
        const age = currentAge(found.headers, found.responseTime, deps.now())
        if (!requiresValidation(found.headers, age, requestControl)) {
          event('hit')
          servedFromCache(c)
          const headers = new Headers(found.headers)
          headers.set('age', String(age))
          return new Response(await bodyOf(found, head), { status: found.status, headers })
        }
        injectValidators(c, found)
      } else event('miss')

      await next()
      const res = c.res
      const now = deps.now()
      if (found && res.status === 304) {
        event('validate')
        servedFromCache(c)
        const headers = mergeValidated(res.headers, found.headers)
        const etag = res.headers.get('etag')
        let served = found
        if (!etag || etag === found.headers.get('etag')) {
          // The entry is stored again under the new headers; the client reads the other half (none for HEAD).
          const [client, cached] = found.body && !head ? found.body.tee() : [null, found.body]
          served = { ...found, body: client }
          background(c, update(cache, found, found.status, headers, now, cached))
        }
        c.res = undefined
        c.res = new Response(await bodyOf(served, head), { status: found.status, headers })
        return
      }
      if (found) {
        event('failed_validation')
        await found.body?.cancel()
      }
      if (requestControl.noStore || head) return
      if (responseNotStorableReason(res, config.varyAllowed) !== undefined) return event('uncacheable')
      const { response, stored } = insert(res, { cache, key, request: req.headers, varyNames: varyNames(res.headers), responseTime: now, maxBodyBytes: config.maxBodyBytes })
      background(c, stored)
      if (response !== res) {
        c.res = undefined
        c.res = response
      }
    }
  },
}
