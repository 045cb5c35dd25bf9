/**
 * `extensions.filters.http.cache.v3.CacheConfig`: accepted, not run — on
 * Workers, Cloudflare's cache sits in front of the Worker and caches by the
 * zone's cache rules, so a second cache in the proxy would only hide it.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/cache/v3/cache.proto
 */
import { z } from 'zod'
import { envoyObject, opaque } from '../envoy-object.js'
import { warnWhen } from './warn.js'

export const cacheFilter = warnWhen(
  envoyObject(
    {
      '@type': z.string().optional(),
      typed_config: opaque.optional(),
      disabled: z.unknown().optional(),
      allowed_vary_headers: z.array(z.unknown()).optional(),
      key_creator_params: z.unknown().optional(),
      max_body_bytes: z.unknown().optional(),
      ignore_request_cache_control_header: z.boolean().optional(),
    },
    {
      notApplied: Object.fromEntries(
        ['typed_config', 'disabled', 'allowed_vary_headers', 'key_creator_params', 'max_body_bytes', 'ignore_request_cache_control_header'].map((k) => [k, 'the cache filter does not run in edgevoy (Cloudflare\'s cache sits in front of the Worker)']),
      ),
    },
  ),
  () =>
    'envoy.filters.http.cache is accepted but does not cache in edgevoy: Cloudflare\'s cache sits in front of the Worker (configure it with Cache Rules); responses pass through unchanged',
)
