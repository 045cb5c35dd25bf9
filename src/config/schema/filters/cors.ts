/**
 * `extensions.filters.http.cors.v3.Cors` (empty: the policy lives on the route)
 * and `CorsPolicy` (route/virtual-host `cors`, or typed_per_filter_config).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/cors/v3/cors.proto
 */
import { z } from 'zod'
import { envoyObject, wrapped } from '../envoy-object.js'
import { stringMatcher } from '../matchers.js'
import { runtimeFractionalPercent } from './common.js'

export const corsFilter = envoyObject({ '@type': z.string().optional() })

export const corsPolicy = envoyObject(
  {
    '@type': z.string().optional(),
    allow_origin_string_match: z.array(stringMatcher).optional(),
    allow_methods: z.string().optional(),
    allow_headers: z.string().optional(),
    expose_headers: z.string().optional(),
    max_age: z.string().optional(),
    allow_credentials: wrapped(z.boolean()).optional(),
    allow_private_network_access: wrapped(z.boolean()).optional(),
    forward_not_matching_preflights: wrapped(z.boolean()).optional(),
    filter_enabled: runtimeFractionalPercent.optional(),
    shadow_enabled: runtimeFractionalPercent.optional(),
  },
  { unsupported: { allow_origin: 'v2 allow_origin was removed in v3; use allow_origin_string_match', allow_origin_regex: 'use allow_origin_string_match with safe_regex' } },
)
export type CorsPolicyConfig = z.output<typeof corsPolicy>
