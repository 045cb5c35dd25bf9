/**
 * `envoy.filters.http.cors`: the route's CORS policy, answered at the edge.
 * The policy is the route's (typed_per_filter_config, then `cors`) over the
 * virtual host's, all compiled. A preflight from an allowed origin is
 * answered 200 here; a disallowed origin gets no CORS headers and, as in
 * Envoy, goes on to the upstream unless `forward_not_matching_preflights: false`.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/cors_filter
 */
import { sampled } from './percent.js'
import type { FilterFactory } from './types.js'

export const corsFilter: FilterFactory<'cors'> = {
  kind: 'cors',
  name: 'envoy.filters.http.cors',
  statName: 'cors',
  create(_config, { deps, count }) {
    return async (c, next, perRoute) => {
      const p = perRoute ?? c.get('decision').route?.cors
      const origin = c.req.header('origin')
      if (!p || !origin) return next()
      const enabled = sampled(p.filterEnabled, deps.random, true)
      const shadow = sampled(p.shadowEnabled, deps.random, false)
      if (!enabled && !shadow) return next()
      const preflight = c.req.method === 'OPTIONS' && !!c.req.header('access-control-request-method')
      if (!p.allowOrigin(origin)) {
        count('origin_invalid')
        if (enabled && preflight && !p.forwardNotMatchingPreflights) return c.body(null, 200)
        return next()
      }
      count('origin_valid')
      if (!enabled) return next()
      if (preflight) {
        const headers: Record<string, string> = { 'access-control-allow-origin': origin }
        if (p.allowCredentials) headers['access-control-allow-credentials'] = 'true'
        if (p.allowMethods) headers['access-control-allow-methods'] = p.allowMethods
        if (p.allowHeaders) headers['access-control-allow-headers'] = p.allowHeaders
        if (p.maxAge) headers['access-control-max-age'] = p.maxAge
        if (p.allowPrivateNetworkAccess && c.req.header('access-control-request-private-network') === 'true')
          headers['access-control-allow-private-network'] = 'true'
        return c.body(null, 200, headers)
      }
      await next()
      c.res.headers.set('access-control-allow-origin', origin)
      if (p.allowCredentials) c.res.headers.set('access-control-allow-credentials', 'true')
      if (p.exposeHeaders) c.res.headers.set('access-control-expose-headers', p.exposeHeaders)
    }
  },
}
