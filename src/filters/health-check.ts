/**
 * `envoy.filters.http.health_check`: a request whose headers match every
 * configured matcher (e.g. `:path` exact `/healthcheck`) is a health check.
 * Not in pass-through mode, edgevoy answers it itself with an empty 200, as
 * Envoy does; in pass-through mode it goes on to the upstream like any other
 * request. edgevoy has no `/healthcheck/fail` server state, so it never
 * answers 503 on its own (docs/differences.md).
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/health_check_filter
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/health_check/v3/health_check.proto
 */
import type { FilterFactory } from './types.js'

export const healthCheckFilter: FilterFactory<'health_check'> = {
  kind: 'health_check',
  name: 'envoy.filters.http.health_check',
  statName: 'health_check',
  create(config, { count }) {
    const matchers = config.headers
    return async (c, next) => {
      const match = c.get('decision').match
      if (!matchers.every((m) => m.test(match))) return next()
      count('request_health_check')
      if (config.passThrough) return next()
      return c.body(null, 200)
    }
  },
}
