/**
 * `envoy.filters.http.rbac` / `RBACPerRoute` → RbacIR: permissions and
 * principals as one matcher tree of data.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto
 */
import type { PermissionConfig, PrincipalConfig, RbacFilterConfig, RbacRulesConfig, ValueMatcherConfig } from '../../config/schema/filters/rbac.js'
import type { MatchInputIR, MatchPredicateIR, MetadataMatcherIR, OnMatchIR, RbacIR, RbacMatcherIR, RbacRulesIR, UnifiedMatcherIR, ValueMatcherIR } from '../ir.js'
import { DESTINATION_PORT_INPUT, HEADER_INPUT, IP_MATCHER, type OnMatchConfig, type PredicateConfig, type UnifiedMatcherConfig } from '../../config/schema/filters/unified-matcher.js'
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

type Extension = { typed_config: Record<string, unknown> }
const typeOf = (e: Extension) => e.typed_config['@type']

/** A unified-matcher input the schema accepted (header, source IP, destination port). */
function lowerInput(e: Extension): MatchInputIR {
  if (typeOf(e) === HEADER_INPUT) return { kind: 'request_header', name: String(e.typed_config.header_name).toLowerCase() }
  if (typeOf(e) === DESTINATION_PORT_INPUT) return { kind: 'destination_port' }
  return { kind: 'source_ip' }
}

function lowerPredicate(p: PredicateConfig): MatchPredicateIR {
  if (p.or_matcher) return { kind: 'or', predicates: p.or_matcher.predicate.map(lowerPredicate) }
  if (p.and_matcher) return { kind: 'and', predicates: p.and_matcher.predicate.map(lowerPredicate) }
  if (p.not_matcher) return { kind: 'not', predicate: lowerPredicate(p.not_matcher) }
  const single = p.single_predicate!
  const custom = single.custom_match
  if (custom && typeOf(custom) === IP_MATCHER) {
    const ranges = (custom.typed_config.cidr_ranges as { address_prefix: string; prefix_len?: number | string | { value: number | string } }[]).map((r) => {
      const raw = typeof r.prefix_len === 'object' ? r.prefix_len.value : r.prefix_len
      return { addressPrefix: r.address_prefix, ...(raw !== undefined ? { prefixLen: Number(raw) } : {}) }
    })
    return { kind: 'single', input: lowerInput(single.input), matcher: { kind: 'ip', ranges } }
  }
  return { kind: 'single', input: lowerInput(single.input), matcher: { kind: 'string', match: lowerStringMatcher(single.value_match!) } }
}

function lowerOnMatch(o: OnMatchConfig): OnMatchIR {
  if (o.matcher) return { kind: 'matcher', matcher: lowerUnifiedMatcher(o.matcher) }
  const action = o.action!.typed_config as { name?: string; action?: 'ALLOW' | 'DENY' | 'LOG' }
  return { kind: 'action', name: action.name ?? '', action: action.action ?? 'ALLOW' }
}

/** RBAC's `matcher` (xds.type.matcher.v3.Matcher) → data. */
export function lowerUnifiedMatcher(m: UnifiedMatcherConfig): UnifiedMatcherIR {
  const onNoMatch = m.on_no_match ? { onNoMatch: lowerOnMatch(m.on_no_match) } : {}
  if (m.matcher_list) return { kind: 'list', matchers: m.matcher_list.matchers.map((f) => ({ predicate: lowerPredicate(f.predicate), onMatch: lowerOnMatch(f.on_match) })), ...onNoMatch }
  const tree = m.matcher_tree!
  const map = tree.exact_match_map ?? tree.prefix_match_map!
  return {
    kind: tree.exact_match_map ? 'exact_map' : 'prefix_map',
    input: lowerInput(tree.input),
    map: Object.fromEntries(Object.entries(map.map).map(([k, v]) => [k, lowerOnMatch(v)])),
    ...onNoMatch,
  }
}

export function lowerRbac(c: RbacFilterConfig): RbacIR {
  return {
    // rbac.proto: "If both rules and matcher are configured, rules will be ignored."
    ...(c.rules && !c.matcher ? { rules: rules(c.rules) } : {}),
    ...(c.shadow_rules && !c.shadow_matcher ? { shadowRules: rules(c.shadow_rules) } : {}),
    ...(c.matcher ? { matcher: lowerUnifiedMatcher(c.matcher) } : {}),
    ...(c.shadow_matcher ? { shadowMatcher: lowerUnifiedMatcher(c.shadow_matcher) } : {}),
    rulesStatPrefix: c.rules_stat_prefix ?? '',
    shadowRulesStatPrefix: c.shadow_rules_stat_prefix ?? '',
  }
}
