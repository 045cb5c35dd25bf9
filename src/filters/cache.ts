/**
 * `envoy.filters.http.cache`: accepted and passed through. On Workers,
 * Cloudflare's cache sits in front of the Worker; `validate` warns so.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/cache_filter
 */
import type { FilterFactory } from './types.js'

export const cacheFilter: FilterFactory<'cache'> = {
  kind: 'cache',
  name: 'envoy.filters.http.cache',
  statName: 'cache',
  create() {
    return async (_c, next) => next()
  },
}
