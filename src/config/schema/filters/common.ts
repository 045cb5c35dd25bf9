/**
 * Pieces shared by the HTTP filter schemas.
 */
import { z } from 'zod'
import { envoyObject, opaque } from '../envoy-object.js'
import { fractionalPercent } from '../matchers.js'

/** `config.core.v3.RuntimeFractionalPercent`: only `default_value` is read (no Envoy runtime on Workers). */
export const runtimeFractionalPercent = envoyObject(
  { default_value: fractionalPercent, runtime_key: z.string().optional() },
  { notApplied: { runtime_key: 'there is no Envoy runtime on Workers: default_value always applies' } },
)

/** `config.core.v3.RuntimeFeatureFlag`: `default_value` is read, `runtime_key` is accepted. */
export const runtimeFeatureFlag = envoyObject(
  {
    default_value: z.union([z.boolean(), z.object({ value: z.boolean() })]).transform((v) => (typeof v === 'boolean' ? v : v.value)),
    runtime_key: z.string().optional(),
  },
  { notApplied: { runtime_key: 'there is no Envoy runtime on Workers: default_value always applies' } },
)

/** `envoy.config.route.v3.FilterConfig`: wraps a per-route config, or disables the filter for the route. */
export const FILTER_CONFIG_TYPE = 'type.googleapis.com/envoy.config.route.v3.FilterConfig'
export const routeFilterConfig = envoyObject({
  '@type': z.literal(FILTER_CONFIG_TYPE),
  config: opaque.optional(),
  is_optional: z.boolean().optional(),
  disabled: z.boolean().optional(),
})
