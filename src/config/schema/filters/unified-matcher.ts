/**
 * `xds.type.matcher.v3.Matcher` — the unified matcher API — as RBAC's
 * `matcher` / `shadow_matcher` use it: a matcher list (first match wins) or
 * a match tree (exact or longest-prefix map), `on_no_match`, nested matchers,
 * and `config.rbac.v3.Action` (ALLOW / DENY / LOG) as the action.
 * Inputs a Worker can evaluate: request headers (pseudo-headers `:path`,
 * `:method`, `:authority`, `:scheme` too — Envoy's way to match the path),
 * the source IP and the destination port. Every other input is refused with
 * its reason (a policy that cannot be evaluated must not be skipped).
 * https://github.com/cncf/xds/blob/main/xds/type/matcher/v3/matcher.proto
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/advanced/matching/matching_api
 */
import { z } from 'zod'
import { envoyEnum, envoyObject, opaque, uint32, wrapped } from '../envoy-object.js'
import { stringMatcher } from '../matchers.js'

const T = 'type.googleapis.com/'
export const HEADER_INPUT = `${T}envoy.type.matcher.v3.HttpRequestHeaderMatchInput`
const NETWORK = `${T}envoy.extensions.matching.common_inputs.network.v3.`
export const SOURCE_IP_INPUTS = [`${NETWORK}SourceIPInput`, `${NETWORK}DirectSourceIPInput`]
export const DESTINATION_PORT_INPUT = `${NETWORK}DestinationPortInput`
export const IP_MATCHER = `${T}envoy.extensions.matching.input_matchers.ip.v3.Ip`
export const RBAC_ACTION = `${T}envoy.config.rbac.v3.Action`

/** Inputs Envoy has that a Worker cannot evaluate, and why. */
const UNSUPPORTED_INPUTS: Readonly<Record<string, string>> = {
  [`${NETWORK}DestinationIPInput`]: 'the Worker does not see the destination address',
  [`${NETWORK}SourcePortInput`]: 'Cloudflare does not pass the client port to the Worker',
  [`${NETWORK}ServerNameInput`]: 'Cloudflare terminates TLS; the Worker does not see the SNI',
  [`${NETWORK}TransportProtocolInput`]: 'Cloudflare terminates TLS and TCP',
  [`${NETWORK}ApplicationProtocolInput`]: 'Cloudflare terminates TLS; the Worker does not see ALPN',
  [`${NETWORK}SourceTypeInput`]: 'the Worker cannot tell a local source from a remote one',
  [`${NETWORK}FilterStateInput`]: 'filter state is not implemented',
  [`${T}envoy.type.matcher.v3.HttpRequestTrailerMatchInput`]: 'RBAC decides on the request headers; trailers arrive later',
  [`${T}envoy.type.matcher.v3.HttpResponseHeaderMatchInput`]: 'RBAC decides before there is a response',
  [`${T}envoy.type.matcher.v3.HttpResponseTrailerMatchInput`]: 'RBAC decides before there is a response',
  [`${T}envoy.type.matcher.v3.HttpRequestQueryParamMatchInput`]: 'query parameter inputs are not implemented (match :path with a header input)',
  [`${T}xds.type.matcher.v3.HttpAttributesCelMatchInput`]: 'CEL is not implemented',
}

export const typedExtensionConfig = envoyObject({ name: z.string().optional(), typed_config: opaque })
type Extension = z.output<typeof typedExtensionConfig>

const typeOf = (e: Extension) => (typeof e.typed_config['@type'] === 'string' ? (e.typed_config['@type'] as string) : '')

/** What an input reads, or why it cannot be read here. */
export function inputProblem(e: Extension): string | undefined {
  const type = typeOf(e)
  if (type === HEADER_INPUT) {
    const name = e.typed_config.header_name
    return typeof name === 'string' && name.length > 0 ? undefined : 'HttpRequestHeaderMatchInput needs header_name'
  }
  if (SOURCE_IP_INPUTS.includes(type) || type === DESTINATION_PORT_INPUT) return undefined
  const reason = UNSUPPORTED_INPUTS[type]
  return `input ${type || '(no @type)'} is not supported by edgevoy: ${reason ?? 'unknown input type'} (supported: HttpRequestHeaderMatchInput, SourceIPInput, DirectSourceIPInput, DestinationPortInput)`
}

const ipMatcherConfig = envoyObject(
  {
    '@type': z.string(),
    cidr_ranges: z.array(envoyObject({ address_prefix: z.string().min(1), prefix_len: wrapped(uint32).optional() })).min(1),
  },
  { ignored: ['stat_prefix'] },
)

function checkInput(e: Extension, ctx: z.RefinementCtx, path: (string | number)[]) {
  const problem = inputProblem(e)
  if (problem) ctx.addIssue({ code: 'custom', path, message: problem, params: { kind: 'unsupported_field' } })
}

export interface PredicateConfig {
  single_predicate?: { input: Extension; value_match?: z.output<typeof stringMatcher> | undefined; custom_match?: Extension | undefined } | undefined
  or_matcher?: { predicate: PredicateConfig[] } | undefined
  and_matcher?: { predicate: PredicateConfig[] } | undefined
  not_matcher?: PredicateConfig | undefined
}

const singlePredicate = envoyObject({ input: typedExtensionConfig, value_match: stringMatcher.optional(), custom_match: typedExtensionConfig.optional() }).superRefine((p, ctx) => {
  checkInput(p.input, ctx, ['input'])
  if ((p.value_match === undefined) === (p.custom_match === undefined))
    ctx.addIssue({ code: 'custom', message: 'a single_predicate needs exactly one of value_match, custom_match', params: { kind: 'missing_field' } })
  if (p.custom_match) {
    const type = typeOf(p.custom_match)
    if (type !== IP_MATCHER) ctx.addIssue({ code: 'custom', path: ['custom_match'], message: `custom_match ${type || '(no @type)'} is not supported by edgevoy (supported: ${IP_MATCHER.slice(T.length)})`, params: { kind: 'unsupported_field' } })
    else {
      if (!SOURCE_IP_INPUTS.includes(typeOf(p.input))) ctx.addIssue({ code: 'custom', path: ['custom_match'], message: 'the Ip matcher needs an IP input (SourceIPInput, DirectSourceIPInput)', params: { kind: 'invalid' } })
      const parsed = ipMatcherConfig.safeParse(p.custom_match.typed_config)
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['custom_match', 'typed_config', ...issue.path] } as Parameters<typeof ctx.addIssue>[0])
    }
  }
})

export const matchPredicate: z.ZodType<PredicateConfig> = z.lazy(() =>
  envoyObject({
    single_predicate: singlePredicate.optional(),
    or_matcher: envoyObject({ predicate: z.array(matchPredicate).min(2) }).optional(),
    and_matcher: envoyObject({ predicate: z.array(matchPredicate).min(2) }).optional(),
    not_matcher: matchPredicate.optional(),
  }).superRefine((p, ctx) => {
    const set = ['single_predicate', 'or_matcher', 'and_matcher', 'not_matcher'].filter((k) => (p as Record<string, unknown>)[k] !== undefined)
    if (set.length !== 1) ctx.addIssue({ code: 'custom', message: `a predicate needs exactly one of single_predicate, or_matcher, and_matcher, not_matcher (got ${set.join(', ') || 'none'})`, params: { kind: 'missing_field' } })
  }),
) as z.ZodType<PredicateConfig>

export interface OnMatchConfig {
  matcher?: UnifiedMatcherConfig | undefined
  action?: Extension | undefined
}

/** `config.rbac.v3.Action`: the action a match resolves to. */
export const rbacAction = envoyObject({ '@type': z.string(), name: z.string().default(''), action: envoyEnum(['ALLOW', 'DENY', 'LOG']).optional() })

export const onMatch: z.ZodType<OnMatchConfig> = z.lazy(() =>
  envoyObject(
    { matcher: unifiedMatcher.optional(), action: typedExtensionConfig.optional() },
    { ignored: ['keep_matching'], notes: { keep_matching: 'the first match decides (keep_matching: false, the default)' } },
  ).superRefine((o, ctx) => {
    if ((o.matcher === undefined) === (o.action === undefined)) ctx.addIssue({ code: 'custom', message: 'on_match needs exactly one of matcher, action', params: { kind: 'missing_field' } })
    // keep_matching: true would let a later match decide: not implemented, and ignoring it could change the answer.
    if ((o as Record<string, unknown>).keep_matching === true)
      ctx.addIssue({ code: 'custom', path: ['keep_matching'], message: 'keep_matching: true is not supported by edgevoy: the first match decides', params: { kind: 'unsupported_field' } })
    if (o.action) {
      if (typeOf(o.action) !== RBAC_ACTION) {
        ctx.addIssue({ code: 'custom', path: ['action', 'typed_config'], message: `an RBAC matcher's action must be ${RBAC_ACTION.slice(T.length)} (got ${typeOf(o.action) || 'no @type'})`, params: { kind: 'invalid' } })
        return
      }
      const parsed = rbacAction.safeParse(o.action.typed_config)
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['action', 'typed_config', ...issue.path] } as Parameters<typeof ctx.addIssue>[0])
    }
  }),
) as z.ZodType<OnMatchConfig>

export interface UnifiedMatcherConfig {
  matcher_list?: { matchers: { predicate: PredicateConfig; on_match: OnMatchConfig }[] } | undefined
  matcher_tree?: { input: Extension; exact_match_map?: { map: Record<string, OnMatchConfig> } | undefined; prefix_match_map?: { map: Record<string, OnMatchConfig> } | undefined } | undefined
  on_no_match?: OnMatchConfig | undefined
}

const matchMap = envoyObject({ map: z.record(z.string(), onMatch) })

export const unifiedMatcher: z.ZodType<UnifiedMatcherConfig> = z.lazy(() =>
  envoyObject({
    matcher_list: envoyObject({ matchers: z.array(envoyObject({ predicate: matchPredicate, on_match: onMatch })).min(1) }).optional(),
    matcher_tree: envoyObject(
      { input: typedExtensionConfig, exact_match_map: matchMap.optional(), prefix_match_map: matchMap.optional() },
      { unsupported: { custom_match: 'custom match trees are not implemented' } },
    )
      .superRefine((t, ctx) => {
        checkInput(t.input, ctx, ['input'])
        if ((t.exact_match_map === undefined) === (t.prefix_match_map === undefined))
          ctx.addIssue({ code: 'custom', message: 'a matcher_tree needs exactly one of exact_match_map, prefix_match_map', params: { kind: 'missing_field' } })
      })
      .optional(),
    on_no_match: onMatch.optional(),
  }).superRefine((m, ctx) => {
    if ((m.matcher_list === undefined) === (m.matcher_tree === undefined)) ctx.addIssue({ code: 'custom', message: 'a matcher needs exactly one of matcher_list, matcher_tree', params: { kind: 'missing_field' } })
  }),
) as z.ZodType<UnifiedMatcherConfig>
