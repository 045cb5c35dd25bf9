/**
 * `envoy.filters.http.rbac`: ALLOW (some policy must match), DENY (no policy
 * may match) or LOG; `shadow_rules` are evaluated and only counted. A route's
 * RBACPerRoute replaces the listener's rules (absent `rbac`: none apply).
 * Denied → 403 `RBAC: access denied`.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/rbac_filter
 */
import type { RbacFilterConfig, RbacRulesConfig } from '../config/schema/filters/rbac.js'
import { clientAddress } from './client-address.js'
import { dynamicMetadata } from './metadata.js'
import { compilePermission, compilePrincipal, type RbacPredicate, type RbacRequest } from './rbac-match.js'
import type { FilterFactory } from './types.js'

interface Engine {
  readonly action: 'ALLOW' | 'DENY' | 'LOG'
  readonly policies: readonly { name: string; permission: RbacPredicate; principal: RbacPredicate }[]
}

const engines = new WeakMap<object, Engine>()

function engineOf(rules: RbacRulesConfig): Engine {
  let e = engines.get(rules)
  if (!e) {
    const policies = Object.entries(rules.policies).map(([name, p]) => {
      const perms = p.permissions.map(compilePermission)
      const princs = p.principals.map(compilePrincipal)
      return { name, permission: (r: RbacRequest) => perms.some((f) => f(r)), principal: (r: RbacRequest) => princs.some((f) => f(r)) }
    })
    engines.set(rules, (e = { action: rules.action ?? 'ALLOW', policies }))
  }
  return e
}

/** Envoy's RoleBasedAccessControlEngineImpl::handleAction: whether the request may pass. */
function allows(engine: Engine, r: RbacRequest): boolean {
  const matched = engine.policies.some((p) => p.permission(r) && p.principal(r))
  if (engine.action === 'ALLOW') return matched
  if (engine.action === 'DENY') return !matched
  return true
}

export const rbacFilter: FilterFactory<RbacFilterConfig, { rbac?: RbacFilterConfig | undefined }> = {
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
      if (cfg.shadow_rules) count(`${cfg.shadow_rules_stat_prefix ?? ''}shadow_${allows(engineOf(cfg.shadow_rules), request) ? 'allowed' : 'denied'}`)
      if (!cfg.rules) return next()
      if (allows(engineOf(cfg.rules), request)) {
        count(`${cfg.rules_stat_prefix ?? ''}allowed`)
        return next()
      }
      count(`${cfg.rules_stat_prefix ?? ''}denied`)
      return c.text('RBAC: access denied', 403)
    }
  },
}
