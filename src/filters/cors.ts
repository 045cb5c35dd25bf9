/**
 * `envoy.filters.http.cors`: the route's CORS policy, answered at the edge.
 * The policy is the route's (typed_per_filter_config, then `cors`) over the
 * virtual host's. A preflight from an allowed origin is answered 200 here; a
 * disallowed origin gets no CORS headers and, as in Envoy, goes on to the
 * upstream unless `forward_not_matching_preflights: false`.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/cors_filter
 */
import type { Route, VirtualHost } from '../compile/types.js'
import { compileStringMatcher } from '../compile/strings.js'
import { corsPolicy, type CorsPolicyConfig } from '../config/schema/filters/cors.js'
import { parseValidated } from './parse.js'
import { sampled } from './percent.js'
import type { FilterFactory } from './types.js'

interface CompiledCors {
  readonly config: CorsPolicyConfig
  readonly allowOrigin: (origin: string) => boolean
}

const compiled = new WeakMap<object, CompiledCors>()

function compile(raw: object, where: string): CompiledCors {
  let c = compiled.get(raw)
  if (!c) {
    const config = parseValidated(corsPolicy, raw, where)
    const matchers = (config.allow_origin_string_match ?? []).map(compileStringMatcher)
    c = { config, allowOrigin: (origin) => matchers.some((m) => m(origin) || m('*')) }
    compiled.set(raw, c)
  }
  return c
}

/** The `cors` field of the route action, else of the virtual host (typed_per_filter_config was looked at first). */
function fieldPolicy(route: Route | undefined, vh: VirtualHost | undefined): CompiledCors | undefined {
  const onRoute = route?.action.type === 'route' ? route.action.extensions.cors : undefined
  if (onRoute && typeof onRoute === 'object') return compile(onRoute, `route ${route!.name} cors`)
  const onHost = vh?.extensions.cors
  if (onHost && typeof onHost === 'object') return compile(onHost, `virtual host ${vh!.name} cors`)
  return undefined
}

export const corsFilter: FilterFactory<unknown, CorsPolicyConfig> = {
  name: 'envoy.filters.http.cors',
  statName: 'cors',
  create(_config, { deps, count }) {
    return async (c, next, perRoute) => {
      const { route, virtualHost } = c.get('decision')
      const policy = perRoute ? compile(perRoute, 'typed_per_filter_config') : fieldPolicy(route, virtualHost)
      const origin = c.req.header('origin')
      if (!policy || !origin) return next()
      const p = policy.config
      const enabled = sampled(p.filter_enabled?.default_value, deps.random, true)
      const shadow = sampled(p.shadow_enabled?.default_value, deps.random, false)
      if (!enabled && !shadow) return next()
      const preflight = c.req.method === 'OPTIONS' && !!c.req.header('access-control-request-method')
      if (!policy.allowOrigin(origin)) {
        count('origin_invalid')
        if (enabled && preflight && p.forward_not_matching_preflights === false) return c.body(null, 200)
        return next()
      }
      count('origin_valid')
      if (!enabled) return next()
      if (preflight) {
        const headers: Record<string, string> = { 'access-control-allow-origin': origin }
        if (p.allow_credentials) headers['access-control-allow-credentials'] = 'true'
        if (p.allow_methods) headers['access-control-allow-methods'] = p.allow_methods
        if (p.allow_headers) headers['access-control-allow-headers'] = p.allow_headers
        if (p.max_age) headers['access-control-max-age'] = p.max_age
        if (p.allow_private_network_access && c.req.header('access-control-request-private-network') === 'true')
          headers['access-control-allow-private-network'] = 'true'
        return c.body(null, 200, headers)
      }
      await next()
      c.res.headers.set('access-control-allow-origin', origin)
      if (p.allow_credentials) c.res.headers.set('access-control-allow-credentials', 'true')
      if (p.expose_headers) c.res.headers.set('access-control-expose-headers', p.expose_headers)
    }
  },
}
