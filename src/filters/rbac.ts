/**
 * `envoy.filters.http.rbac`: ALLOW (some policy must match), DENY (no policy
 * may match) or LOG; `shadow_rules` are evaluated and only counted. A route's
 * RBACPerRoute replaces the listener's rules (absent `rbac`: none apply).
 * Denied → 403 `RBAC: access denied`. The policies arrive compiled to predicates.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/rbac_filter
 */
import type { RbacEngine, RbacMatcherEngine, RbacRequest } from '../compile/types.js'
import { clientAddress } from './client-address.js'
import { dynamicMetadata } from './metadata.js'
import type { FilterFactory } from './types.js'

/** Envoy's RoleBasedAccessControlEngineImpl::handleAction: whether the request may pass. */
function allows(engine: RbacEngine, r: RbacRequest): boolean {
  const matched = engine.policies.some((p) => p.permission(r) && p.principal(r))
  if (engine.action === 'ALLOW') return matched
  if (engine.action === 'DENY') return !matched
  return true
}

/**
 * The unified matcher's answer (RoleBasedAccessControlMatcherEngineImpl::handleAction):
 * ALLOW and LOG pass, DENY refuses, and a request no matcher matches is denied.
 */
function matcherAllows(matcher: RbacMatcherEngine, r: RbacRequest): boolean {
  const resolved = matcher(r)
  return resolved !== undefined && resolved.action !== 'DENY'
}

export const rbacFilter: FilterFactory<'rbac'> = {
  kind: 'rbac',
  name: 'envoy.filters.http.rbac',
  statName: 'rbac',
  create(config, { count, listener }) {
    return async (c, next, perRoute) => {
      const cfg = perRoute ? perRoute.rbac : config
      if (!cfg) return next()
      const request: RbacRequest = {
        match: c.get('decision').match,
        clientIp: clientAddress(c.req.raw),
        port: listener.port,
        metadata: (filter) => dynamicMetadata(c, filter),
      }
      if (cfg.shadowMatcher) count(`${cfg.shadowRulesStatPrefix}shadow_${matcherAllows(cfg.shadowMatcher, request) ? 'allowed' : 'denied'}`)
      else if (cfg.shadowRules) count(`${cfg.shadowRulesStatPrefix}shadow_${allows(cfg.shadowRules, request) ? 'allowed' : 'denied'}`)
      if (!cfg.rules && !cfg.matcher) return next()
      if (cfg.matcher ? matcherAllows(cfg.matcher, request) : allows(cfg.rules!, request)) {
        count(`${cfg.rulesStatPrefix}allowed`)
        return next()
      }
      count(`${cfg.rulesStatPrefix}denied`)
      return c.text('RBAC: access denied', 403)
    }
  },
}
