/**
 * `envoy.filters.http.csrf`: for a mutating request (POST, PUT, DELETE,
 * PATCH) the source origin — `Origin`, else `Referer` — must name the
 * destination host (`:authority`) or match one of `additional_origins`;
 * otherwise 403 "Invalid origin" where `filter_enabled` samples the request.
 * `shadow_enabled` evaluates and counts only. A route's (or virtual host's)
 * CsrfPolicy replaces the listener's.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/csrf_filter
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/csrf/v3/csrf.proto
 */
import { sampled } from './percent.js'
import type { FilterFactory } from './types.js'

const MUTATING = new Set(['POST', 'PUT', 'DELETE', 'PATCH'])

/**
 * Envoy's hostAndPort(): the authority of an absolute URL; a value that does
 * not parse as one (e.g. Origin "null") is compared as written.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/csrf/csrf_filter.cc
 */
export function hostAndPort(header: string | undefined): string {
  if (!header) return ''
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(header)
  return url ? url[1]! : header
}

export const csrfFilter: FilterFactory<'csrf'> = {
  kind: 'csrf',
  name: 'envoy.filters.http.csrf',
  statName: 'csrf',
  create(config, { deps, count }) {
    return async (c, next, perRoute) => {
      const policy = perRoute ?? config
      if (!MUTATING.has(c.req.method)) return next()
      const enabled = sampled(policy.filterEnabled, deps.random, false)
      const shadow = sampled(policy.shadowEnabled, deps.random, false)
      if (!enabled && !shadow) return next()
      const source = hostAndPort(c.req.header('origin') ?? c.req.header('referer'))
      // As Envoy: a missing origin counts as missing and (unless an additional origin matches "") invalid.
      let valid = true
      if (source === '') {
        count('missing_source_origin')
        valid = false
      }
      if (source !== c.get('decision').match.authority && !policy.additionalOrigins.some((m) => m(source))) {
        count('request_invalid')
        valid = false
      }
      if (valid) {
        count('request_valid')
        return next()
      }
      if (enabled) return c.text('Invalid origin', 403)
      return next()
    }
  },
}
