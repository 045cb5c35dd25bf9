/**
 * `config.route.v3.RetryPolicy`, on a route or a virtual host.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-retrypolicy
 */
import { z } from 'zod'
import { duration, envoyObject, opaque, uint32, wrapped } from './envoy-object.js'

/**
 * The `retry_on` conditions edgevoy acts on: the router filter's HTTP ones
 * (x-envoy-retry-on) and its gRPC ones (x-envoy-retry-grpc-on), which Envoy
 * accepts in the same list.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-grpc-on
 */
export const RETRY_ON = [
  '5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes', 'reset-before-request',
  'envoy-ratelimited', 'http3-post-connect-failure', 'retriable-headers',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
] as const

const retryOn = z.string().superRefine((value, ctx) => {
  for (const raw of value.split(',')) {
    const item = raw.trim()
    if (item && !(RETRY_ON as readonly string[]).includes(item))
      ctx.addIssue({ code: 'custom', message: `unknown retry_on condition "${item}" (expected ${RETRY_ON.join(', ')})`, params: { kind: 'invalid_enum' } })
  }
})

const hostPredicate = envoyObject({ name: z.string(), typed_config: opaque.optional() })

export const retryPolicy = envoyObject(
  {
    retry_on: retryOn.optional(),
    num_retries: wrapped(uint32).optional(),
    per_try_timeout: duration.optional(),
    per_try_idle_timeout: duration.optional(),
    retriable_status_codes: z.array(uint32).optional(),
    retry_host_predicate: z.array(hostPredicate).optional(),
    host_selection_retry_max_attempts: z.coerce.number().int().min(0).optional(),
    retry_back_off: envoyObject({ base_interval: duration, max_interval: duration.optional() }).optional(),
  },
  {
    notApplied: { per_try_idle_timeout: 'per-try idle timeouts are not implemented; per_try_timeout applies' },
    ignored: ['retry_priority', 'retriable_headers', 'retriable_request_headers', 'rate_limited_retry_back_off', 'retry_options_predicates'],
  },
)
export type RetryPolicyConfig = z.output<typeof retryPolicy>
