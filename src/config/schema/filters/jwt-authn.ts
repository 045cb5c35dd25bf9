/**
 * `extensions.filters.http.jwt_authn.v3.JwtAuthentication` and `PerRouteConfig`.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto
 */
import { z } from 'zod'
import { duration, envoyObject, uint32, warningMode, WARNING } from '../envoy-object.js'
import { routeMatch } from '../route.js'
import { warnWhen } from './warn.js'

const dataSource = envoyObject(
  { inline_string: z.string().optional(), inline_bytes: z.string().optional() },
  { unsupported: { filename: 'a Worker has no file system; inline the JWKS (inline_string)', environment_variable: 'use inline_string' } },
)

const httpUri = envoyObject({
  uri: z.string().url(),
  cluster: z.string().optional(),
  timeout: duration.optional(),
})

const remoteJwks = envoyObject(
  { http_uri: httpUri, cache_duration: duration.optional() },
  { ignored: ['async_fetch', 'retry_policy'], notes: { async_fetch: 'keys are fetched on first use and refreshed when cache_duration ends' } },
)

/** Envoy's `well_known_regex: HTTP_HEADER_NAME` on these fields: an RFC 7230 token. */
const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected an HTTP header name (RFC 7230 token characters)')

const jwtHeader = envoyObject({ name: z.string().min(1), value_prefix: z.string().optional() })

export const jwtProvider = envoyObject(
  {
    issuer: z.string().optional(),
    audiences: z.array(z.string()).optional(),
    local_jwks: dataSource.optional(),
    remote_jwks: remoteJwks.optional(),
    from_headers: z.array(jwtHeader).optional(),
    from_params: z.array(z.string().min(1)).optional(),
    from_cookies: z.array(z.string().min(1)).optional(),
    forward: z.boolean().optional(),
    forward_payload_header: headerName.optional(),
    pad_forward_payload_header: z.boolean().optional(),
    payload_in_metadata: z.string().min(1).optional(),
    clock_skew_seconds: uint32.optional(),
    // claim_path (a list of {key} segments) is the newer form, used by Envoy's own configs/jwt_authn.yaml.
    claim_to_headers: z
      .array(
        envoyObject({ header_name: headerName, claim_name: z.string().min(1).optional(), claim_path: z.array(envoyObject({ key: z.string().min(1) })).min(1).optional() }).superRefine((e, ctx) => {
          if ((e.claim_name === undefined) === (e.claim_path === undefined)) ctx.addIssue({ code: 'custom', message: 'a claim_to_headers entry takes exactly one of claim_name, claim_path' })
        }),
      )
      .optional(),
  },
  {
    // Ignoring these would let through tokens Envoy refuses, so they are errors.
    unsupported: { subjects: 'subject restrictions are not implemented; use rbac on the sub claim', max_lifetime_seconds: 'token lifetime limits are not implemented' },
    ignored: ['header_in_metadata', 'failed_status_in_metadata', 'normalize_payload_in_metadata', 'jwt_cache_config', 'clear_route_cache'],
  },
).superRefine((p, ctx) => {
  if ((p.local_jwks === undefined) === (p.remote_jwks === undefined))
    ctx.addIssue({ code: 'custom', message: 'a JWT provider needs exactly one of local_jwks, remote_jwks' })
  // Envoy loads a broken inline JWKS with a warning and then refuses every token; say so at load time.
  const inline = p.local_jwks?.inline_string
  if (inline !== undefined && warningMode.collecting && !looksLikeJwks(inline))
    ctx.addIssue({ code: 'custom', path: ['local_jwks', 'inline_string'], message: 'local_jwks is not a JWKS with keys: every token of this provider will be refused', params: { kind: WARNING } })
})

function looksLikeJwks(text: string): boolean {
  try {
    const keys = (JSON.parse(text) as { keys?: unknown } | null)?.keys
    return Array.isArray(keys) && keys.length > 0
  } catch {
    return false
  }
}
export type JwtProviderConfig = z.output<typeof jwtProvider>

export interface JwtRequirementConfig {
  provider_name?: string | undefined
  provider_and_audiences?: { provider_name: string; audiences: string[] } | undefined
  requires_any?: { requirements: JwtRequirementConfig[] } | undefined
  requires_all?: { requirements: JwtRequirementConfig[] } | undefined
  allow_missing_or_failed?: object | undefined
  allow_missing?: object | undefined
}

export const jwtRequirement: z.ZodType<JwtRequirementConfig> = z.lazy(() =>
  envoyObject({
    provider_name: z.string().min(1).optional(),
    provider_and_audiences: envoyObject({ provider_name: z.string().min(1), audiences: z.array(z.string()) }).optional(),
    requires_any: envoyObject({ requirements: z.array(jwtRequirement).min(2) }).optional(),
    requires_all: envoyObject({ requirements: z.array(jwtRequirement).min(2) }).optional(),
    allow_missing_or_failed: z.object({}).optional(),
    allow_missing: z.object({}).optional(),
  }).superRefine((r, ctx) => {
    const set = Object.keys(r).filter((k) => (r as Record<string, unknown>)[k] !== undefined)
    if (set.length !== 1) ctx.addIssue({ code: 'custom', message: `a JWT requirement needs exactly one kind (got ${set.join(', ') || 'none'})` })
  }),
) as z.ZodType<JwtRequirementConfig>

/** Envoy's jwt_authn Matcher tests path, headers and query only ("matching on RouteMatch runtime is not implemented", matcher.cc). */
const requirementRule = warnWhen(envoyObject({ match: routeMatch, requires: jwtRequirement.optional(), requirement_name: z.string().optional() }), (r) =>
  r.match.runtime_fraction ? 'match.runtime_fraction is not applied in jwt_authn rules (nor by Envoy: its rule matcher ignores it): the rule applies to every request its path, headers and query match' : undefined,
)

export const jwtAuthentication = envoyObject(
  {
    '@type': z.string().optional(),
    providers: z.record(z.string(), jwtProvider).default({}),
    rules: z.array(requirementRule).optional(),
    requirement_map: z.record(z.string(), jwtRequirement).optional(),
    bypass_cors_preflight: z.boolean().optional(),
  },
  { ignored: ['stat_prefix', 'strip_failure_response'], unsupported: { filter_state_rules: 'filter state is not implemented' } },
).superRefine((c, ctx) => {
  // Every provider a requirement names must exist (Envoy rejects the config too).
  const check = (r: JwtRequirementConfig | undefined, path: (string | number)[]) => {
    if (!r) return
    const name = r.provider_name ?? r.provider_and_audiences?.provider_name
    if (name !== undefined && !(name in c.providers))
      ctx.addIssue({ code: 'custom', path, message: `unknown JWT provider "${name}" (have: ${Object.keys(c.providers).join(', ') || 'none'})` })
    r.requires_any?.requirements.forEach((x, i) => check(x, [...path, 'requires_any', 'requirements', i]))
    r.requires_all?.requirements.forEach((x, i) => check(x, [...path, 'requires_all', 'requirements', i]))
  }
  c.rules?.forEach((rule, i) => {
    check(rule.requires, ['rules', i, 'requires'])
    if (rule.requirement_name !== undefined && !(rule.requirement_name in (c.requirement_map ?? {})))
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'requirement_name'], message: `no requirement_map entry "${rule.requirement_name}"` })
  })
  for (const [k, r] of Object.entries(c.requirement_map ?? {})) check(r, ['requirement_map', k])
})
export type JwtAuthenticationConfig = z.output<typeof jwtAuthentication>

export const jwtPerRoute = envoyObject({
  '@type': z.string().optional(),
  disabled: z.boolean().optional(),
  requirement_name: z.string().min(1).optional(),
})
export type JwtPerRouteConfig = z.output<typeof jwtPerRoute>
