/**
 * `extensions.filters.http.rbac.v3.RBAC` / `RBACPerRoute` over `config.rbac.v3` policies.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto
 */
import { z } from 'zod'
import { envoyEnum, envoyObject, uint32, warningMode, WARNING, wrapped } from '../envoy-object.js'
import { unifiedMatcher } from './unified-matcher.js'
import { headerMatcher, stringMatcher } from '../matchers.js'

const cidrRange = envoyObject({ address_prefix: z.string().min(1), prefix_len: wrapped(uint32).optional() })
const pathMatcher = envoyObject({ path: stringMatcher })

export interface ValueMatcherConfig {
  string_match?: z.output<typeof stringMatcher> | undefined
  bool_match?: boolean | undefined
  double_match?: { exact?: number | undefined; range?: { start: number; end: number } | undefined } | undefined
  present_match?: boolean | undefined
  null_match?: object | undefined
  list_match?: { one_of: ValueMatcherConfig } | undefined
}
const valueMatcher: z.ZodType<ValueMatcherConfig> = z.lazy(() =>
  envoyObject({
    string_match: stringMatcher.optional(),
    bool_match: z.boolean().optional(),
    double_match: envoyObject({ exact: z.number().optional(), range: envoyObject({ start: z.number(), end: z.number() }).optional() }).optional(),
    present_match: z.boolean().optional(),
    null_match: z.object({}).optional(),
    list_match: envoyObject({ one_of: valueMatcher }).optional(),
  }),
) as z.ZodType<ValueMatcherConfig>

/** `type.matcher.v3.MetadataMatcher`: JWT claims are matched under filter `envoy.filters.http.jwt_authn`. */
export const metadataMatcher = envoyObject({
  filter: z.string().min(1),
  path: z.array(envoyObject({ key: z.string().min(1) })).min(1),
  value: valueMatcher,
  invert: z.boolean().optional(),
})

const unsupportedIds = {
  authenticated: 'Cloudflare terminates TLS; the Worker sees no client certificate',
  filter_state: 'filter state is not implemented',
  custom: 'custom matchers are not implemented',
  sourced_metadata: 'sourced metadata is not implemented',
}

export interface PrincipalConfig {
  and_ids?: { ids: PrincipalConfig[] } | undefined
  or_ids?: { ids: PrincipalConfig[] } | undefined
  not_id?: PrincipalConfig | undefined
  any?: boolean | undefined
  source_ip?: z.output<typeof cidrRange> | undefined
  direct_remote_ip?: z.output<typeof cidrRange> | undefined
  remote_ip?: z.output<typeof cidrRange> | undefined
  header?: z.output<typeof headerMatcher> | undefined
  url_path?: z.output<typeof pathMatcher> | undefined
  metadata?: z.output<typeof metadataMatcher> | undefined
}
export const principal: z.ZodType<PrincipalConfig> = z.lazy(() =>
  envoyObject(
    {
      and_ids: envoyObject({ ids: z.array(principal).min(1) }).optional(),
      or_ids: envoyObject({ ids: z.array(principal).min(1) }).optional(),
      not_id: principal.optional(),
      any: z.boolean().optional(),
      source_ip: cidrRange.optional(),
      direct_remote_ip: cidrRange.optional(),
      remote_ip: cidrRange.optional(),
      header: headerMatcher.optional(),
      url_path: pathMatcher.optional(),
      metadata: metadataMatcher.optional(),
    },
    { unsupported: unsupportedIds },
  ),
) as z.ZodType<PrincipalConfig>

export interface PermissionConfig {
  and_rules?: { rules: PermissionConfig[] } | undefined
  or_rules?: { rules: PermissionConfig[] } | undefined
  not_rule?: PermissionConfig | undefined
  any?: boolean | undefined
  header?: z.output<typeof headerMatcher> | undefined
  url_path?: z.output<typeof pathMatcher> | undefined
  destination_port?: number | undefined
  metadata?: z.output<typeof metadataMatcher> | undefined
}
export const permission: z.ZodType<PermissionConfig> = z.lazy(() =>
  envoyObject(
    {
      and_rules: envoyObject({ rules: z.array(permission).min(1) }).optional(),
      or_rules: envoyObject({ rules: z.array(permission).min(1) }).optional(),
      not_rule: permission.optional(),
      any: z.boolean().optional(),
      header: headerMatcher.optional(),
      url_path: pathMatcher.optional(),
      destination_port: uint32.optional(),
      metadata: metadataMatcher.optional(),
    },
    {
      unsupported: {
        destination_ip: 'the Worker does not see the destination address',
        requested_server_name: 'Cloudflare terminates TLS',
        matcher: 'generic matchers are not implemented',
        destination_port_range: 'use destination_port',
        uri_template: 'URI templates are not implemented',
      },
    },
  ),
) as z.ZodType<PermissionConfig>

const policy = envoyObject(
  { permissions: z.array(permission).min(1), principals: z.array(principal).min(1) },
  { unsupported: { condition: 'CEL conditions are not implemented', checked_condition: 'CEL conditions are not implemented' } },
)

export const rbacRules = envoyObject(
  { action: envoyEnum(['ALLOW', 'DENY', 'LOG']).optional(), policies: z.record(z.string(), policy).default({}) },
  { ignored: ['audit_logging_options'] },
)
export type RbacRulesConfig = z.output<typeof rbacRules>

export const rbacFilter = envoyObject(
  {
    '@type': z.string().optional(),
    rules: rbacRules.optional(),
    shadow_rules: rbacRules.optional(),
    shadow_rules_stat_prefix: z.string().optional(),
    rules_stat_prefix: z.string().optional(),
    matcher: unifiedMatcher.optional(),
    shadow_matcher: unifiedMatcher.optional(),
  },
  { ignored: ['track_per_rule_stats'] },
).superRefine((f, ctx) => {
  // rbac.proto: "If both rules and matcher are configured, rules will be ignored."
  if (!warningMode.collecting) return
  if (f.rules && f.matcher) ctx.addIssue({ code: 'custom', path: ['rules'], message: 'rules are ignored: matcher is set (Envoy uses the matcher when both are configured)', params: { kind: WARNING } })
  if (f.shadow_rules && f.shadow_matcher) ctx.addIssue({ code: 'custom', path: ['shadow_rules'], message: 'shadow_rules are ignored: shadow_matcher is set (Envoy uses the matcher when both are configured)', params: { kind: WARNING } })
})
export type RbacFilterConfig = z.output<typeof rbacFilter>

export const rbacPerRoute = envoyObject({ '@type': z.string().optional(), rbac: rbacFilter.optional() })
