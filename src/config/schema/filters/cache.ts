/**
 * `extensions.filters.http.cache.v3.CacheConfig`, run on the Workers Cache
 * API (src/filters/cache/). A Worker runs before Cloudflare's own cache, so
 * only the Cache API caches inside it; whatever storage `typed_config` names,
 * entries go to the Cache API of the Cloudflare location that served the
 * request — `validate` says so, and what that store does not do like Envoy's.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/cache/v3/cache.proto
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/cache_filter
 */
import { z } from 'zod'
import { envoyObject, opaque, uint32, wrapped } from '../envoy-object.js'
import { queryParameterMatcher, stringMatcher } from '../matchers.js'
import { warnWhen } from './warn.js'

/** The storage extensions Envoy has (its config.cc refuses any other type: "Didn't find a registered implementation"). */
export const CACHE_STORAGE_TYPES = {
  'type.googleapis.com/envoy.extensions.http.cache.simple_http_cache.v3.SimpleHttpCacheConfig': 'simple',
  'type.googleapis.com/envoy.extensions.http.cache.file_system_http_cache.v3.FileSystemHttpCacheConfig': 'file_system',
} as const

export const cacheKeyCreatorParams = envoyObject({
  exclude_scheme: z.boolean().optional(),
  exclude_host: z.boolean().optional(),
  query_parameters_included: z.array(queryParameterMatcher).optional(),
  query_parameters_excluded: z.array(queryParameterMatcher).optional(),
})

/** Envoy's default `none` is what runs; BlockUntilCompletion would need isolates to coordinate. */
export const cacheThunderingHerdHandler = envoyObject(
  {
    none: opaque.optional(),
    block_until_completion: opaque.optional(),
  },
  { notApplied: { block_until_completion: "isolates do not coordinate: each sends its own misses upstream, as Envoy's default `none` handler does" } },
)

const STORE = "responses are stored in the Workers Cache API of the Cloudflare location that served the request (not shared between locations; it keeps nothing on *.workers.dev, only on a custom domain); responses carrying Set-Cookie are never stored (the Cache API's rule)"

type Checked = { typed_config?: Record<string, unknown> | undefined; key_creator_params?: unknown; max_body_bytes?: number | undefined }

/** What runs unlike Envoy, for `validate`. */
function notLikeEnvoy(c: Checked): string | undefined {
  const notes = [STORE]
  const type = c.typed_config?.['@type']
  if (CACHE_STORAGE_TYPES[type as keyof typeof CACHE_STORAGE_TYPES] === 'file_system')
    notes.push('the file system storage (FileSystemHttpCacheConfig) is not available in Workers: the Cache API stores the responses instead, and its settings are not applied')
  if (c.key_creator_params !== undefined || c.max_body_bytes)
    notes.push('key_creator_params and max_body_bytes are applied as cache.proto describes them, although Envoy marks them not implemented (its filter ignores them)')
  return `envoy.filters.http.cache: ${notes.join('; ')}`
}

export const cacheFilter = warnWhen(
  envoyObject({
    '@type': z.string().optional(),
    typed_config: opaque.optional(),
    disabled: wrapped(z.boolean()).optional(),
    allowed_vary_headers: z.array(stringMatcher).optional(),
    key_creator_params: cacheKeyCreatorParams.optional(),
    max_body_bytes: uint32.optional(),
    ignore_request_cache_control_header: z.boolean().optional(),
    thundering_herd_handler: cacheThunderingHerdHandler.optional(),
  }).superRefine((c, ctx) => {
    // Envoy's CacheFilterFactory: "at least one of typed_config or disabled must be set", then the storage type must be registered.
    if (c.typed_config === undefined && c.disabled === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'at least one of typed_config or disabled must be set (Envoy\'s cache filter refuses it too)' })
      return
    }
    const type = c.typed_config?.['@type']
    if (c.typed_config !== undefined && !(typeof type === 'string' && type in CACHE_STORAGE_TYPES))
      ctx.addIssue({ code: 'custom', path: ['typed_config', '@type'], message: `no cache storage implementation for type ${JSON.stringify(type ?? '')}: expected one of ${Object.keys(CACHE_STORAGE_TYPES).join(', ')}` })
  }),
  (c) => (c.disabled === true ? undefined : notLikeEnvoy(c)),
)
export type CacheFilterConfig = z.output<typeof cacheFilter>
