/**
 * `extensions.filters.http.health_check.v3.HealthCheck`.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/health_check/v3/health_check.proto
 */
import { z } from 'zod'
import { envoyObject, wrapped } from '../envoy-object.js'
import { headerMatcher } from '../matchers.js'

export const healthCheckFilter = envoyObject(
  {
    '@type': z.string().optional(),
    pass_through_mode: wrapped(z.boolean()),
    headers: z.array(headerMatcher).optional(),
  },
  {
    ignored: ['cache_time'],
    notes: { cache_time: 'pass-through health checks are forwarded every time (no response cache)' },
    unsupported: {
      cluster_min_healthy_percentages:
        'edgevoy answers health checks without looking at cluster health; remove it or use pass_through_mode: true so the upstream answers',
    },
  },
)
export type HealthCheckConfig = z.output<typeof healthCheckFilter>
