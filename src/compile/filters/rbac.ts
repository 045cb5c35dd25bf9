/**
 * `envoy.filters.http.rbac` / `RBACPerRoute` → RbacIR: permissions and
 * principals as one matcher tree of data.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto
 */
import type { PermissionConfig, PrincipalConfig, RbacFilterConfig, RbacRulesConfig, ValueMatcherConfig } from '../../config/schema/filters/rbac.js'
import type { MetadataMatcherIR, RbacIR, RbacMatcherIR, RbacRulesIR, ValueMatcherIR } from '../ir.js'
import { lowerHeaderMatcher } from '../match.js'
import { lowerStringMatcher } from '../strings.js'

function valueMatcher(m: ValueMatcherConfig): ValueMatcherIR {
  if (m.string_match) return { kind: 'string', match: lowerStringMatcher(m.string_match) }
  if (m.bool_match !== undefined) return { kind: 'bool', value: m.bool_match }
  if (m.double_match) {
    const d = m.double_match
    if (d.exact !== undefined) return { kind: 'double_exact', value: d.exact }
    if (d.range) return { kind: 'double_range', start: d.range.start, end: d.range.end }
    return { kind: 'never' }
  }
  if (m.present_match !== undefined) return { kind: 'present', present: m.present_match }
  if (m.null_match) return { kind: 'null' }
  if (m.list_match) return { kind: 'list_one_of', item: valueMatcher(m.list_match.one_of) }
  return { kind: 'never' }
}

function metadata(m: { filter: string; path: { key: string }[]; value: ValueMatcherConfig; invert?: boolean | undefined }): MetadataMatcherIR {
  return { filter: m.filter, path: m.path.map((p) => p.key), value: valueMatcher(m.value), ...(m.invert === true ? { invert: true as const } : {}) }
}

export function lowerPrincipal(p: PrincipalConfig): RbacMatcherIR {
  if (p.any) return { kind: 'any' }
  if (p.and_ids) return { kind: 'and', items: p.and_ids.ids.map(lowerPrincipal) }
  if (p.or_ids) return { kind: 'or', items: p.or_ids.ids.map(lowerPrincipal) }
  if (p.not_id) return { kind: 'not', item: lowerPrincipal(p.not_id) }
  const ip = p.remote_ip ?? p.direct_remote_ip ?? p.source_ip
  if (ip) return { kind: 'remote_ip', cidr: { addressPrefix: ip.address_prefix, ...(ip.prefix_len !== undefined ? { prefixLen: ip.prefix_len } : {}) } }
  if (p.header) return { kind: 'header', header: lowerHeaderMatcher(p.header) }
  if (p.url_path) return { kind: 'url_path', path: lowerStringMatcher(p.url_path.path) }
  if (p.metadata) return { kind: 'metadata', metadata: metadata(p.metadata) }
  return { kind: 'never' }
}

export function lowerPermission(p: PermissionConfig): RbacMatcherIR {
  if (p.any) return { kind: 'any' }
  if (p.and_rules) return { kind: 'and', items: p.and_rules.rules.map(lowerPermission) }
  if (p.or_rules) return { kind: 'or', items: p.or_rules.rules.map(lowerPermission) }
  if (p.not_rule) return { kind: 'not', item: lowerPermission(p.not_rule) }
  if (p.header) return { kind: 'header', header: lowerHeaderMatcher(p.header) }
  if (p.url_path) return { kind: 'url_path', path: lowerStringMatcher(p.url_path.path) }
  if (p.destination_port !== undefined) return { kind: 'destination_port', port: p.destination_port }
  if (p.metadata) return { kind: 'metadata', metadata: metadata(p.metadata) }
  return { kind: 'never' }
}

function rules(r: RbacRulesConfig): RbacRulesIR {
  return {
    action: r.action ?? 'ALLOW',
    policies: Object.entries(r.policies).map(([name, p]) => ({ name, permissions: p.permissions.map(lowerPermission), principals: p.principals.map(lowerPrincipal) })),
  }
}

export function lowerRbac(c: RbacFilterConfig): RbacIR {
  return {
    ...(c.rules ? { rules: rules(c.rules) } : {}),
    ...(c.shadow_rules ? { shadowRules: rules(c.shadow_rules) } : {}),
    rulesStatPrefix: c.rules_stat_prefix ?? '',
    shadowRulesStatPrefix: c.shadow_rules_stat_prefix ?? '',
  }
}
