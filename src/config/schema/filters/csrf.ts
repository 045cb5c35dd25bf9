/**
 * `extensions.filters.http.csrf.v3.CsrfPolicy` (listener and per-route).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/csrf/v3/csrf.proto
 */
import { z } from 'zod'
import { envoyObject } from '../envoy-object.js'
import { stringMatcher } from '../matchers.js'
import { runtimeFractionalPercent } from './common.js'

export const csrfPolicy = envoyObject({
  '@type': z.string().optional(),
  filter_enabled: runtimeFractionalPercent,
  shadow_enabled: runtimeFractionalPercent.optional(),
  additional_origins: z.array(stringMatcher).optional(),
})
export type CsrfPolicyConfig = z.output<typeof csrfPolicy>
