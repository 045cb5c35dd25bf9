/**
 * A route's action → RouteActionIR: forward (cluster / cluster_header /
 * weighted_clusters, rewrites, timeout, and the retry, hash and rate-limit
 * policies the router reads), redirect, or direct response.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction
 */
import type { RetryPolicyConfig } from '../config/schema/retry.js'
import type { RouteConfig } from '../config/schema/route.js'
import { lowerHeaderMutations } from './headers.js'
import { DEFAULT_ROUTE_TIMEOUT_MS, type ForwardActionIR, type HashPolicyIR, type MaxStreamDurationIR, type MirrorPolicyIR, type PathRewriteIR, type RetryPolicyIR, type RouteActionIR } from './ir.js'
import { lowerFraction } from './filters/common.js'
import { lowerRateLimits } from './rate-limits.js'
import { searchRegexIR } from './regex.js'
import { lowerRetryPolicy } from './resilience.js'

export { DEFAULT_ROUTE_TIMEOUT_MS }

/**
 * `upgrade_configs` (route or connection manager) → upgrade type (lower-cased,
 * Envoy matches it case-insensitively) → enabled (`enabled` defaults to true).
 */
export function lowerUpgrades(list: readonly { upgrade_type: string; enabled?: boolean | { value: boolean } | undefined }[]): Record<string, boolean> {
  const out: Record<string, boolean> = {}
  for (const u of list) out[u.upgrade_type.toLowerCase()] = (typeof u.enabled === 'object' ? u.enabled.value : u.enabled) !== false
  return out
}

const REDIRECT_CODES = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 } as const
const NOT_FOUND_CODES = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 } as const

type RegexRewriteConfig = { pattern: { regex: string }; substitution: string }

const pathRewrite = (a: { prefix_rewrite?: string | undefined; regex_rewrite?: RegexRewriteConfig | undefined }): { pathRewrite?: PathRewriteIR } =>
  a.prefix_rewrite !== undefined
    ? { pathRewrite: { kind: 'prefix', prefix: a.prefix_rewrite } }
    : a.regex_rewrite
      ? { pathRewrite: { kind: 'regex', regex: searchRegexIR(a.regex_rewrite.pattern.regex), substitution: a.regex_rewrite.substitution } }
      : {}

type HashPolicyConfig = NonNullable<NonNullable<RouteConfig['route']>['hash_policy']>[number]

export function lowerHashPolicy(p: HashPolicyConfig): HashPolicyIR | undefined {
  const terminal = p.terminal ? { terminal: true as const } : {}
  if (p.header) return { kind: 'header', name: p.header.header_name, ...terminal }
  if (p.cookie) {
    const c = p.cookie
    return {
      kind: 'cookie',
      name: c.name,
      ...(c.ttl !== undefined ? { ttlMs: c.ttl } : {}),
      ...(c.path !== undefined ? { path: c.path } : {}),
      ...(c.attributes?.length ? { attributes: c.attributes.map((a) => (a.value !== undefined ? { name: a.name, value: a.value } : { name: a.name })) } : {}),
      ...terminal,
    }
  }
  if (p.connection_properties?.source_ip) return { kind: 'source_ip', ...terminal }
  if (p.query_parameter) return { kind: 'query_parameter', name: p.query_parameter.name, ...terminal }
  // connection_properties without source_ip hashes nothing: as if absent.
  return undefined
}

/** What the virtual host contributes to its routes' actions. */
export interface VirtualHostDefaults {
  readonly retryPolicy?: RetryPolicyConfig | undefined
  readonly bufferLimitBytes?: number | undefined
}

/** Distinct retry policies of a snapshot: routes refer to one by index, and share it at run time. */
export class RetryPolicyTable {
  readonly policies: RetryPolicyIR[] = []
  readonly #byConfig = new Map<RetryPolicyConfig, number>()
  readonly #byKey = new Map<string, number>()

  indexOf(p: RetryPolicyConfig): number {
    let i = this.#byConfig.get(p)
    if (i === undefined) {
      const ir = lowerRetryPolicy(p)
      const key = JSON.stringify(ir)
      i = this.#byKey.get(key)
      if (i === undefined) this.#byKey.set(key, (i = this.policies.push(ir) - 1))
      this.#byConfig.set(p, i)
    }
    return i
  }
}

type ActionConfig = NonNullable<RouteConfig['route']>

function maxStreamDuration(m: NonNullable<ActionConfig['max_stream_duration']>): MaxStreamDurationIR {
  return {
    ...(m.max_stream_duration !== undefined ? { maxMs: m.max_stream_duration } : {}),
    ...(m.grpc_timeout_header_max !== undefined ? { grpcHeaderMaxMs: m.grpc_timeout_header_max } : {}),
    ...(m.grpc_timeout_header_offset !== undefined ? { grpcHeaderOffsetMs: m.grpc_timeout_header_offset } : {}),
  }
}

function mirror(m: NonNullable<ActionConfig['request_mirror_policies']>[number]): MirrorPolicyIR {
  const fraction = lowerFraction(m.runtime_fraction?.default_value)
  return {
    ...(m.cluster !== undefined ? { cluster: m.cluster } : {}),
    ...(m.cluster_header !== undefined ? { clusterHeader: m.cluster_header.toLowerCase() } : {}),
    ...(fraction ? { fraction } : {}),
    appendShadowSuffix: m.disable_shadow_host_suffix_append !== true,
    ...(m.host_rewrite_literal !== undefined ? { hostRewrite: m.host_rewrite_literal } : {}),
  }
}

export function lowerAction(r: RouteConfig, vh: VirtualHostDefaults, retries: RetryPolicyTable): RouteActionIR {
  if (r.direct_response) {
    const body = r.direct_response.body
    const text = body?.inline_string ?? (body?.inline_bytes !== undefined ? atob(body.inline_bytes) : undefined)
    return { type: 'direct_response', status: r.direct_response.status, ...(text !== undefined ? { body: text } : {}) }
  }
  if (r.redirect) {
    const d = r.redirect
    const scheme = d.https_redirect ? 'https' : d.scheme_redirect
    return {
      type: 'redirect',
      ...(scheme !== undefined ? { scheme } : {}),
      ...(d.host_redirect !== undefined ? { host: d.host_redirect } : {}),
      ...(d.port_redirect !== undefined ? { port: d.port_redirect } : {}),
      ...(d.path_redirect !== undefined ? { path: d.path_redirect } : {}),
      ...pathRewrite(d),
      responseCode: REDIRECT_CODES[d.response_code ?? 'MOVED_PERMANENTLY'],
      stripQuery: d.strip_query === true,
    }
  }
  const a = r.route!
  const target: ForwardActionIR['target'] =
    a.cluster !== undefined
      ? { kind: 'cluster', name: a.cluster }
      : a.cluster_header !== undefined
        ? { kind: 'cluster_header', header: a.cluster_header.toLowerCase() }
        : {
            kind: 'weighted',
            clusters: a.weighted_clusters!.clusters.map((c) => ({
              name: c.name ?? '',
              weight: c.weight,
              ...lowerHeaderMutations(c),
              ...(c.host_rewrite_literal !== undefined ? { hostRewrite: c.host_rewrite_literal } : {}),
              ...(c.cluster_header !== undefined ? { clusterHeader: c.cluster_header.toLowerCase() } : {}),
            })),
            totalWeight: a.weighted_clusters!.clusters.reduce((s, c) => s + c.weight, 0),
            ...(a.weighted_clusters!.header_name !== undefined ? { headerName: a.weighted_clusters!.header_name.toLowerCase() } : {}),
            ...(a.weighted_clusters!.use_hash_policy === true ? { useHashPolicy: true as const } : {}),
          }
  // The route's policy, else its virtual host's (Envoy: the most specific wins).
  const retry = a.retry_policy ?? vh.retryPolicy
  const bufferLimit = r.per_request_buffer_limit_bytes ?? vh.bufferLimitBytes
  const rateLimits = lowerRateLimits(a.rate_limits)
  const notFound = NOT_FOUND_CODES[a.cluster_not_found_response_code ?? 'SERVICE_UNAVAILABLE']
  // A route with max_stream_duration uses Envoy's "new timeouts": the route
  // timeout is off (router.cc FilterUtility::finalTimeout, usingNewTimeouts()).
  const timeout = a.max_stream_duration !== undefined ? 0 : (a.timeout ?? DEFAULT_ROUTE_TIMEOUT_MS)
  const hashPolicy = (a.hash_policy ?? []).map(lowerHashPolicy).filter((p) => p !== undefined)
  return {
    type: 'route',
    target,
    ...pathRewrite(a),
    ...(a.host_rewrite_literal !== undefined ? { hostRewrite: a.host_rewrite_literal } : {}),
    ...(a.host_rewrite_header !== undefined ? { hostRewriteHeader: a.host_rewrite_header.toLowerCase() } : {}),
    ...(a.host_rewrite_path_regex !== undefined
      ? { hostRewritePathRegex: { regex: searchRegexIR(a.host_rewrite_path_regex.pattern.regex), substitution: a.host_rewrite_path_regex.substitution } }
      : {}),
    ...(timeout !== DEFAULT_ROUTE_TIMEOUT_MS ? { timeoutMs: timeout } : {}),
    ...(retry ? { retryPolicy: retries.indexOf(retry) } : {}),
    ...(hashPolicy.length ? { hashPolicy } : {}),
    ...(rateLimits ? { rateLimits } : {}),
    ...(bufferLimit !== undefined ? { bufferLimitBytes: bufferLimit } : {}),
    ...(notFound !== 503 ? { clusterNotFoundStatus: notFound } : {}),
    ...(a.max_stream_duration !== undefined ? { maxStreamDuration: maxStreamDuration(a.max_stream_duration) } : {}),
    ...(a.idle_timeout !== undefined ? { idleTimeoutMs: a.idle_timeout } : {}),
    ...(a.request_mirror_policies?.length ? { mirrors: a.request_mirror_policies.map(mirror) } : {}),
    ...(a.upgrade_configs?.length ? { upgrades: lowerUpgrades(a.upgrade_configs) } : {}),
  }
}
