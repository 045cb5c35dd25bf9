/**
 * `extensions.filters.http.local_ratelimit.v3.LocalRateLimit` (listener and per route).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto
 */
import { z } from 'zod'
import { duration, envoyObject, uint32, wrapped } from '../envoy-object.js'
import { headerValueOption } from '../matchers.js'
import { runtimeFractionalPercent } from './common.js'

/** `type.v3.TokenBucket`. */
export const tokenBucket = envoyObject({
  max_tokens: uint32.pipe(z.number().min(1)),
  tokens_per_fill: wrapped(uint32).optional(),
  fill_interval: duration.pipe(z.number().min(1, 'fill_interval must be at least 1ms')),
})

const descriptor = envoyObject({
  entries: z.array(envoyObject({ key: z.string().min(1), value: z.string() })).min(1),
  token_bucket: tokenBucket,
})

export const localRateLimit = envoyObject(
  {
    '@type': z.string().optional(),
    stat_prefix: z.string().min(1),
    status: envoyObject({ code: z.union([uint32, z.string()]) }).optional(),
    token_bucket: tokenBucket.optional(),
    filter_enabled: runtimeFractionalPercent.optional(),
    filter_enforced: runtimeFractionalPercent.optional(),
    request_headers_to_add_when_not_enforced: z.array(headerValueOption).optional(),
    response_headers_to_add: z.array(headerValueOption).optional(),
    descriptors: z.array(descriptor).optional(),
    stage: uint32.optional(),
  },
  {
    ignored: ['local_rate_limit_per_downstream_connection', 'enable_x_ratelimit_headers', 'vh_rate_limits', 'always_consume_default_token_bucket', 'rate_limited_as_resource_exhausted', 'local_cluster_rate_limit', 'max_dynamic_descriptors'],
    notes: { local_cluster_rate_limit: 'each isolate has its own bucket; use edgevoy.filters.http.cloudflare_ratelimit for a shared limit' },
  },
)
export type LocalRateLimitConfig = z.output<typeof localRateLimit>

/**
 * edgevoy's own filter: a limit shared by every isolate in a Cloudflare
 * location, backed by the Workers Rate Limiting binding (`[[ratelimits]]`).
 * https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/
 */
export const cloudflareRateLimit = envoyObject({
  '@type': z.string().optional(),
  stat_prefix: z.string().min(1),
  /** Name of the `[[ratelimits]]` binding. */
  binding: z.string().min(1),
  /** What the limit is counted per: the client address (default), a request header's value, or one fixed key. */
  key: envoyObject({
    remote_address: z.object({}).optional(),
    request_header: z.string().min(1).optional(),
    generic_key: z.string().min(1).optional(),
  }).optional(),
  /** As the global ratelimit filter: when the binding errors, deny (true) or let through (false, default). */
  failure_mode_deny: z.boolean().optional(),
})
export type CloudflareRateLimitConfig = z.output<typeof cloudflareRateLimit>
