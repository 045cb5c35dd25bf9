/**
 * `http_filters` and `typed_per_filter_config` → typed IR. Validation parsed
 * each config by its filter's schema and kept the result (`parsed`,
 * `parsedPerRoute`), so nothing is parsed again here; a config that did not
 * come through validation (a hand-built one) is parsed once.
 * A per-route entry is typed by the filter it names in this listener's
 * chain; entries naming no filter of the chain are dropped (nothing reads them).
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_filters
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-filterconfig
 */
import type { CacheFilterConfig } from '../../config/schema/filters/cache.js'
import type { CompressorConfig, DecompressorConfig } from '../../config/schema/filters/compressor.js'
import type { CorsPolicyConfig } from '../../config/schema/filters/cors.js'
import type { CsrfPolicyConfig } from '../../config/schema/filters/csrf.js'
import type { HealthCheckConfig } from '../../config/schema/filters/health-check.js'
import type { HeaderMutationFilterConfig } from '../../config/schema/filters/header-mutation.js'
import type { HeaderToMetadataConfig } from '../../config/schema/filters/header-to-metadata.js'
import { FILTER_CONFIG_TYPE } from '../../config/schema/filters/common.js'
import type { HttpFaultConfig } from '../../config/schema/filters/fault.js'
import { HTTP_FILTER_SCHEMAS, knownFilterName } from '../../config/schema/filters/index.js'
import type { JwtAuthenticationConfig, JwtPerRouteConfig } from '../../config/schema/filters/jwt-authn.js'
import type { CloudflareRateLimitConfig, LocalRateLimitConfig } from '../../config/schema/filters/local-ratelimit.js'
import type { RbacFilterConfig } from '../../config/schema/filters/rbac.js'
import type { OAuth2FilterConfig } from '../../config/schema/filters/oauth2.js'
import type { CloudflareRateLimitIR, CorsPolicyIR, FaultIR, FilterOverrideIR, HttpFilterIR, LocalRateLimitIR, PerRouteFilterConfigIR } from '../ir.js'
import { lowerHeaderMatcher } from '../match.js'
import { lowerStringMatcher } from '../strings.js'
import { lowerFraction, lowerTokenBucket, optionalFraction, parseValidated } from './common.js'
import { lowerJwtAuthn, lowerJwtPerRoute } from './jwt.js'
import { lowerCacheFilter, lowerCompressor, lowerCsrf, lowerDecompressor, lowerHeaderMutationFilter, lowerHeaderToMetadata, lowerHealthCheck } from './misc.js'
import { lowerRbac } from './rbac.js'
import { lowerOAuth2 } from './oauth2.js'

/** Canonical Envoy name → the kind the data plane knows it by. */
const KINDS = {
  'envoy.filters.http.router': 'router',
  'envoy.filters.http.cors': 'cors',
  'envoy.filters.http.fault': 'fault',
  'envoy.filters.http.local_ratelimit': 'local_ratelimit',
  'envoy.filters.http.jwt_authn': 'jwt_authn',
  'envoy.filters.http.rbac': 'rbac',
  'edgevoy.filters.http.cloudflare_ratelimit': 'cloudflare_ratelimit',
  'envoy.filters.http.health_check': 'health_check',
  'envoy.filters.http.csrf': 'csrf',
  'envoy.filters.http.cache': 'cache',
  'envoy.filters.http.compressor': 'compressor',
  'envoy.filters.http.decompressor': 'decompressor',
  'envoy.filters.http.header_mutation': 'header_mutation',
  'envoy.filters.http.header_to_metadata': 'header_to_metadata',
  'envoy.filters.http.oauth2': 'oauth2',
} as const satisfies Record<string, HttpFilterIR['kind']>

type KnownName = keyof typeof KINDS
type FilterKind = (typeof KINDS)[KnownName]

export function lowerCors(c: CorsPolicyConfig): CorsPolicyIR {
  return {
    allowOrigin: (c.allow_origin_string_match ?? []).map(lowerStringMatcher),
    ...(c.allow_methods !== undefined ? { allowMethods: c.allow_methods } : {}),
    ...(c.allow_headers !== undefined ? { allowHeaders: c.allow_headers } : {}),
    ...(c.expose_headers !== undefined ? { exposeHeaders: c.expose_headers } : {}),
    ...(c.max_age !== undefined ? { maxAge: c.max_age } : {}),
    ...(c.allow_credentials ? { allowCredentials: true as const } : {}),
    ...(c.allow_private_network_access ? { allowPrivateNetworkAccess: true as const } : {}),
    forwardNotMatchingPreflights: c.forward_not_matching_preflights !== false,
    ...optionalFraction('filterEnabled', c.filter_enabled?.default_value),
    ...optionalFraction('shadowEnabled', c.shadow_enabled?.default_value),
  }
}

function lowerFault(c: HttpFaultConfig): FaultIR {
  const d = c.delay
  const a = c.abort
  return {
    ...(c.headers?.length ? { headers: c.headers.map(lowerHeaderMatcher) } : {}),
    ...(c.upstream_cluster !== undefined ? { upstreamCluster: c.upstream_cluster } : {}),
    ...(c.max_active_faults !== undefined ? { maxActiveFaults: c.max_active_faults } : {}),
    ...(d
      ? { delay: { ...(d.fixed_delay !== undefined ? { fixedDelayMs: d.fixed_delay } : {}), ...(d.header_delay ? { headerDelay: true as const } : {}), ...optionalFraction('percentage', d.percentage) } }
      : {}),
    ...(a
      ? { abort: { ...(a.http_status !== undefined ? { httpStatus: a.http_status } : {}), ...(a.header_abort ? { headerAbort: true as const } : {}), ...optionalFraction('percentage', a.percentage) } }
      : {}),
  }
}

function lowerLocalRateLimit(c: LocalRateLimitConfig): LocalRateLimitIR {
  const append = (h: NonNullable<LocalRateLimitConfig['response_headers_to_add']>[number]) =>
    h.append_action ? h.append_action === 'APPEND_IF_EXISTS_OR_ADD' : (typeof h.append === 'object' ? h.append.value : h.append) !== false
  return {
    statPrefix: c.stat_prefix,
    status: Number(c.status?.code ?? 429) || 429,
    ...(c.token_bucket ? { tokenBucket: lowerTokenBucket(c.token_bucket) } : {}),
    ...optionalFraction('filterEnabled', c.filter_enabled?.default_value),
    ...optionalFraction('filterEnforced', c.filter_enforced?.default_value),
    ...(c.request_headers_to_add_when_not_enforced?.length
      ? { requestHeadersToAddWhenNotEnforced: c.request_headers_to_add_when_not_enforced.map((h) => ({ key: h.header.key, value: h.header.value ?? '' })) }
      : {}),
    ...(c.response_headers_to_add?.length ? { responseHeadersToAdd: c.response_headers_to_add.map((h) => ({ key: h.header.key, value: h.header.value ?? '', append: append(h) })) } : {}),
    ...(c.descriptors?.length
      ? { descriptors: c.descriptors.map((d) => ({ entries: d.entries.map((e) => ({ key: e.key, value: e.value })), tokenBucket: lowerTokenBucket(d.token_bucket) })) }
      : {}),
    stage: c.stage ?? 0,
  }
}

function lowerCloudflareRateLimit(c: CloudflareRateLimitConfig): CloudflareRateLimitIR {
  return {
    statPrefix: c.stat_prefix,
    binding: c.binding,
    key: c.key?.request_header
      ? { kind: 'request_header', name: c.key.request_header }
      : c.key?.generic_key !== undefined
        ? { kind: 'generic_key', value: c.key.generic_key }
        : { kind: 'remote_address' },
    failureModeDeny: c.failure_mode_deny === true,
  }
}

/** What a lowering may read beyond its own config: the bootstrap's inline secrets, by SDS name. */
interface LowerContext {
  readonly secrets: ReadonlyMap<string, string>
}

type Lower = (parsed: unknown, ctx: LowerContext) => unknown

/** Filters whose per-route config is the same message as their listener config, lowered alike. */
const SAME_AT_BOTH_LEVELS = {
  fault: (p) => lowerFault(p as HttpFaultConfig),
  local_ratelimit: (p) => lowerLocalRateLimit(p as LocalRateLimitConfig),
  cloudflare_ratelimit: (p) => lowerCloudflareRateLimit(p as CloudflareRateLimitConfig),
  csrf: (p) => lowerCsrf(p as CsrfPolicyConfig),
  header_mutation: (p) => lowerHeaderMutationFilter(p as HeaderMutationFilterConfig),
  header_to_metadata: (p) => lowerHeaderToMetadata(p as HeaderToMetadataConfig),
} satisfies Partial<Record<FilterKind, Lower>>

/** Listener-level lowering by kind; undefined: the filter keeps no listener config (router, cors). */
const LISTENER_LOWER = {
  ...SAME_AT_BOTH_LEVELS,
  router: undefined,
  cors: undefined,
  rbac: (p) => lowerRbac(p as RbacFilterConfig),
  jwt_authn: (p) => lowerJwtAuthn(p as JwtAuthenticationConfig),
  health_check: (p) => lowerHealthCheck(p as HealthCheckConfig),
  cache: (p) => lowerCacheFilter(p as CacheFilterConfig),
  compressor: (p) => lowerCompressor(p as CompressorConfig),
  decompressor: (p) => lowerDecompressor(p as DecompressorConfig),
  oauth2: (p, ctx) => lowerOAuth2(p as OAuth2FilterConfig, ctx.secrets),
} satisfies Record<FilterKind, Lower | undefined>

/** Per-route lowering by kind; a kind absent here takes no per-route config. */
const PER_ROUTE_LOWER: Partial<Record<FilterKind, Lower>> = {
  ...SAME_AT_BOTH_LEVELS,
  cors: (p) => lowerCors(p as CorsPolicyConfig),
  /** RBACPerRoute: `rbac` absent means no rules apply on this route. */
  rbac: (p) => {
    const rbac = (p as { rbac?: RbacFilterConfig }).rbac
    return rbac ? lowerRbac(rbac) : undefined
  },
  jwt_authn: (p) => lowerJwtPerRoute(p as JwtPerRouteConfig),
}

/** The listener-level config of a known filter, lowered. */
function lowerListenerConfig(kind: FilterKind, name: KnownName, raw: unknown, where: string, validated: unknown, ctx: LowerContext): HttpFilterIR {
  const parsed = validated ?? parseValidated(HTTP_FILTER_SCHEMAS[name]!.config, raw, where)
  const lower: Lower | undefined = LISTENER_LOWER[kind]
  if (!lower) return { kind } as HttpFilterIR
  return { kind, config: lower(parsed, ctx) } as HttpFilterIR
}

/** A per-route config of a known filter, lowered. */
function lowerPerRouteConfig(kind: FilterKind, name: KnownName, raw: Record<string, unknown>, where: string, validated: ValidatedConfigs | undefined): PerRouteFilterConfigIR {
  const schema = HTTP_FILTER_SCHEMAS[name]!.perRoute
  const lower = PER_ROUTE_LOWER[kind]
  if (!schema || !lower) throw new Error(`${where}: ${name} takes no per-route config (only FilterConfig with disabled)`)
  const parsed = validated?.get(raw) ?? parseValidated(schema, raw, where)
  return { kind, config: lower(parsed, NO_CONTEXT) } as PerRouteFilterConfigIR
}

interface HttpFilterEntry {
  readonly name: string
  readonly typed_config?: Record<string, unknown> | undefined
  readonly is_optional?: boolean | undefined
  readonly disabled?: boolean | undefined
  /** The typed_config as validation parsed it. */
  readonly parsed?: unknown
}

/** Per-route configs (and cors policies) as validation parsed them, by the object they were parsed from. */
export type ValidatedConfigs = { get(raw: object): unknown }

/** The filters of a chain, by name, with their kind (what typed_per_filter_config keys refer to), and what validation parsed. */
export interface FilterKinds {
  readonly byName: ReadonlyMap<string, { kind: FilterKind; name: KnownName }>
  readonly validated: ValidatedConfigs | undefined
}

const NO_CONTEXT: LowerContext = { secrets: new Map() }

/** `secrets`: the bootstrap's inline generic secrets by name (oauth2's SDS names resolve to them). */
export function lowerHttpFilters(filters: readonly HttpFilterEntry[], validated?: ValidatedConfigs, secrets: ReadonlyMap<string, string> = NO_CONTEXT.secrets): { filters: HttpFilterIR[]; kinds: FilterKinds } {
  const ctx: LowerContext = { secrets }
  const kinds = new Map<string, { kind: FilterKind; name: KnownName }>()
  const out = filters.map((f): HttpFilterIR => {
    const typeUrl = typeof f.typed_config?.['@type'] === 'string' ? (f.typed_config['@type'] as string) : undefined
    const base = {
      name: f.name,
      ...(typeUrl !== undefined ? { typeUrl } : {}),
      ...(f.is_optional === true ? { isOptional: true as const } : {}),
      ...(f.disabled === true ? { disabled: true as const } : {}),
    }
    const known = knownFilterName(f.name, typeUrl) as KnownName | undefined
    // Validation already rejected unknown filters unless they are optional, which Envoy skips.
    if (known === undefined) return { ...base, kind: 'unknown' }
    const kind = KINDS[known]
    kinds.set(f.name, { kind, name: known })
    return { ...base, ...lowerListenerConfig(kind, known, f.typed_config ?? {}, `http_filters "${f.name}"`, f.parsed, ctx) }
  })
  return { filters: out, kinds: { byName: kinds, validated } }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** One `typed_per_filter_config` entry: a FilterConfig wrapper, a bare `disabled: true`, or the filter's own per-route config. */
function lowerOverride(raw: unknown, filter: { kind: FilterKind; name: KnownName }, where: string, validated: ValidatedConfigs | undefined): FilterOverrideIR | undefined {
  if (!isObject(raw)) return undefined
  let disabled: boolean | undefined
  let config: Record<string, unknown> | undefined
  if (raw['@type'] === FILTER_CONFIG_TYPE) {
    disabled = typeof raw.disabled === 'boolean' ? raw.disabled : undefined
    config = isObject(raw.config) ? raw.config : undefined
  } else if (Object.keys(raw).length === 1 && raw.disabled === true) {
    // Envoy's FilterConfig also accepts a bare `disabled: true` where the filter has no per-route message of that name.
    disabled = true
  } else config = raw
  return {
    ...(disabled !== undefined ? { disabled } : {}),
    ...(config !== undefined ? { config: lowerPerRouteConfig(filter.kind, filter.name, config, where, validated) } : {}),
  }
}

/** A level's `typed_per_filter_config`, typed by this chain's filters; undefined when nothing applies. */
export function lowerFilterOverrides(perFilter: Readonly<Record<string, unknown>> | undefined, kinds: FilterKinds, where: string): Record<string, FilterOverrideIR> | undefined {
  if (!perFilter) return undefined
  const out: Record<string, FilterOverrideIR> = {}
  let any = false
  for (const [name, raw] of Object.entries(perFilter)) {
    const filter = kinds.byName.get(name)
    if (!filter) continue
    const entry = lowerOverride(raw, filter, `${where} typed_per_filter_config["${name}"]`, kinds.validated)
    if (entry) {
      out[name] = entry
      any = true
    }
  }
  return any ? out : undefined
}

export { lowerFraction }
