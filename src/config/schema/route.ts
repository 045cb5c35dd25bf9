/**
 * `config.route.v3`: RouteConfiguration → VirtualHost → Route.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto
 */
import { z } from 'zod'
import { duration, envoyEnum, envoyObject, opaque, uint32, warningMode, WARNING, wrapped } from './envoy-object.js'
import { hashPolicy } from './hash-policy.js'
import { retryPolicy } from './retry.js'
import { fractionalPercent, headerMatcher, headerMutationFields, queryParameterMatcher, re2Pattern, regexMatcher, stringMatcher } from './matchers.js'

/**
 * `config.route.v3.CookieMatcher` (RouteMatch.cookies, Envoy PR #42662):
 * the value of one cookie, by name, against a StringMatcher.
 */
export const cookieMatcher = envoyObject({
  name: z.string().min(1),
  string_match: stringMatcher,
  invert_match: z.boolean().optional(),
})
export type CookieMatcherConfig = z.output<typeof cookieMatcher>

/**
 * `RouteAction.UpgradeConfig` and the connection manager's `UpgradeConfig`:
 * an upgrade type (case-insensitive) enabled or disabled. Envoy refuses a
 * type listed twice ("Duplicate upgrade"). Workers can forward only WebSocket
 * upgrades: another enabled type is warned about.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/upgrades
 */
export function upgradeConfigList<T extends z.ZodType<{ upgrade_type: string }>>(entry: T) {
  return z.array(entry).superRefine((list, ctx) => {
    const seen = new Set<string>()
    list.forEach((u, i) => {
      const type = u.upgrade_type.toLowerCase()
      if (seen.has(type)) ctx.addIssue({ code: 'custom', path: [i, 'upgrade_type'], message: `Duplicate upgrade ${u.upgrade_type}`, params: { kind: 'duplicate' } })
      seen.add(type)
      if (type !== 'websocket' && warningMode.collecting)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'upgrade_type'],
          message: `upgrade_type ${u.upgrade_type}: Workers can forward only WebSocket upgrades; such a request is allowed past the 403 but forwarded without its Upgrade header`,
          params: { kind: WARNING },
        })
    })
  })
}
export const routeUpgradeConfig = envoyObject(
  { upgrade_type: z.string().min(1), enabled: wrapped(z.boolean()).optional() },
  { unsupported: { connect_config: 'Workers cannot accept or forward HTTP CONNECT' } },
)
export type UpgradeConfigConfig = z.output<typeof routeUpgradeConfig>

const NOT_ROUTING = 'it does not change which route or cluster a request takes'

export const routeMatch = envoyObject(
  {
    prefix: z.string().optional(),
    path: z.string().optional(),
    safe_regex: regexMatcher.optional(),
    path_separated_prefix: z
      .string()
      .regex(/^\/(?:[^?#]*[^/?#])?$/, 'path_separated_prefix must start with "/", not end with "/", and have no "?" or "#"')
      .optional(),
    case_sensitive: wrapped(z.boolean()).optional(),
    headers: z.array(headerMatcher).optional(),
    query_parameters: z.array(queryParameterMatcher).optional(),
    cookies: z.array(cookieMatcher).optional(),
    grpc: z.object({}).passthrough().optional(),
    /**
     * Matches a share of requests: Envoy draws one random value per request and the route
     * matches when it falls under default_value (RouteMatch.runtime_fraction). Without
     * layered_runtime Envoy's runtime is the null provider, "which will result in all
     * defaults being used" (Bootstrap.layered_runtime), and a Worker has no runtime to
     * override it with: runtime_key is warned about.
     * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routematch-runtime-fraction
     */
    runtime_fraction: envoyObject(
      { default_value: fractionalPercent, runtime_key: z.string().optional() },
      { notApplied: { runtime_key: 'there is no Envoy runtime on Workers: default_value always applies (as in Envoy without layered_runtime)' } },
    ).optional(),
  },
  {
    notApplied: { grpc: 'gRPC-only matching is not implemented: the route matches requests that are not gRPC too' },
    unsupported: {
      connect_matcher: 'Workers cannot accept HTTP CONNECT',
      path_match_policy: 'URI-template path matching is not implemented',
      tls_context: 'Cloudflare terminates TLS; the Worker cannot see client certificates',
      dynamic_metadata: 'dynamic metadata matching is not implemented',
      filter_state: 'filter state matching is not implemented',
    },
  },
).superRefine((m, ctx) => {
  const specifiers = ['prefix', 'path', 'safe_regex', 'path_separated_prefix'].filter((k) => (m as Record<string, unknown>)[k] !== undefined)
  if (specifiers.length !== 1)
    ctx.addIssue({
      code: 'custom',
      message: `a route match needs exactly one path specifier of prefix, path, safe_regex, path_separated_prefix (got ${specifiers.length ? specifiers.join(', ') : 'none'})`,
      params: { kind: 'path_specifier' },
    })
})

/** A string that becomes part of a header (Envoy's HTTP_HEADER_VALUE rule): no CR, LF or NUL. */
const headerValueString = z.string().refine((v) => !/[\r\n\0]/.test(v), { message: 'must not contain a newline, carriage return or NUL (it becomes a header value)' })

const regexRewrite = envoyObject({ pattern: regexMatcher, substitution: z.string() })

/** Ignoring these does not change the route or cluster a request takes, nor its answer (validate warns). */
const NOT_MIRRORED = 'request mirroring is implemented on a route\'s action only: no shadow request is sent for this level (the client\'s answer is the same)'
const NOT_HEDGED = 'request hedging is not implemented: tries are sent one at a time, and a try that hits per_try_timeout is cancelled rather than raced (the route and cluster are the same)'

/** `RouteAction.RequestMirrorPolicy`: a shadow copy of the request to another cluster (src/upstream/mirror.ts). */
const requestMirrorPolicy = envoyObject(
  {
    cluster: z.string().min(1).optional(),
    cluster_header: z.string().min(1).optional(),
    runtime_fraction: envoyObject({ default_value: fractionalPercent.optional(), runtime_key: z.string().optional() }, { notApplied: { runtime_key: 'there is no Envoy runtime on Workers: default_value always applies' } }).optional(),
    disable_shadow_host_suffix_append: z.boolean().optional(),
    host_rewrite_literal: z.string().optional(),
  },
  { ignored: ['trace_sampled'], notes: { trace_sampled: 'shadow requests carry the trace headers of the primary' } },
).superRefine((m, ctx) => {
  if ((m.cluster === undefined) === (m.cluster_header === undefined))
    ctx.addIssue({ code: 'custom', message: 'a request mirror policy needs exactly one of cluster, cluster_header', params: { kind: 'cluster_specifier' } })
})

/** `RouteAction.MaxStreamDuration`: overrides the HCM's max_stream_duration for this route, with grpc-timeout handling. */
const maxStreamDuration = envoyObject({
  max_stream_duration: duration.optional(),
  grpc_timeout_header_max: duration.optional(),
  grpc_timeout_header_offset: duration.optional(),
})

export const weightedClusterEntry = envoyObject(
  {
    name: z.string().min(1).optional(),
    /** The entry's cluster is named by this request header (pseudo-headers too), as the route's cluster_header. */
    cluster_header: z.string().min(1).optional(),
    weight: wrapped(uint32),
    typed_per_filter_config: opaque.optional(),
    host_rewrite_literal: z.string().optional(),
    ...headerMutationFields,
  },
  { ignored: ['metadata_match'], notes: { metadata_match: 'subset load balancing is not implemented' } },
).superRefine((c, ctx) => {
  // Envoy's validateWeightedClusterSpecifier (weighted_cluster_specifier.cc): exactly one of the two.
  if ((c.name === undefined) === (c.cluster_header === undefined))
    ctx.addIssue({
      code: 'custom',
      message: c.name === undefined ? 'a weighted cluster needs one of name or cluster_header' : 'a weighted cluster takes only one of name or cluster_header',
      params: { kind: 'cluster_specifier' },
    })
})

export const routeAction = envoyObject(
  {
    cluster: z.string().min(1).optional(),
    cluster_header: z.string().min(1).optional(),
    weighted_clusters: envoyObject(
      {
        clusters: z.array(weightedClusterEntry).min(1),
        /** Deprecated in v3; when set, the weights must add up to it (v2 default 100). */
        total_weight: wrapped(uint32).optional(),
        runtime_key_prefix: z.string().optional(),
        /** The pick's value comes from this request header (a decimal uint64), else at random. */
        header_name: z.string().min(1).optional(),
        /** `random_value_specifier.use_hash_policy`: the pick's value is the route's hash_policy hash (when it yields one). */
        use_hash_policy: wrapped(z.boolean()).optional(),
      },
      { notApplied: { runtime_key_prefix: 'there is no Envoy runtime on Workers: the configured weights apply' } },
    ).optional(),
    prefix_rewrite: headerValueString.optional(),
    regex_rewrite: regexRewrite.optional(),
    host_rewrite_literal: headerValueString.optional(),
    host_rewrite_header: z.string().min(1).optional(),
    host_rewrite_path_regex: regexRewrite.optional(),
    timeout: duration.optional(),
    idle_timeout: duration.optional(),
    retry_policy: retryPolicy.optional(),
    hash_policy: z.array(hashPolicy).optional(),
    cors: opaque.optional(),
    priority: z.string().optional(),
    max_stream_duration: maxStreamDuration.optional(),
    cluster_not_found_response_code: envoyEnum(['SERVICE_UNAVAILABLE', 'NOT_FOUND', 'INTERNAL_SERVER_ERROR']).optional(),
    request_mirror_policies: z.array(requestMirrorPolicy).optional(),
    rate_limits: z.array(opaque).optional(),
    upgrade_configs: upgradeConfigList(routeUpgradeConfig).optional(),
  },
  {
    notApplied: {
      priority: 'routing priorities are not implemented: every route uses the DEFAULT circuit breakers',
    },
    ignored: [
      'auto_host_rewrite', 'metadata_match', 'include_vh_rate_limits',
      'internal_redirect_policy', 'max_internal_redirects', 'hedge_policy', 'max_grpc_timeout', 'grpc_timeout_offset',
      'append_x_forwarded_host', 'early_data_policy', 'request_mirror_policy', 'retry_policy_typed_config',
    ],
    notes: {
      auto_host_rewrite: 'Workers send the endpoint host as Host anyway; the authority travels in x-forwarded-host',
      request_mirror_policy: 'the v2 single mirror policy is not implemented: use request_mirror_policies',
      hedge_policy: NOT_HEDGED,
    },
    unsupported: {
      // The plugin picks the cluster: ignoring it would leave the route without one.
      inline_cluster_specifier_plugin: 'cluster specifier plugins (Lua and others) are not implemented; name the cluster with cluster, cluster_header or weighted_clusters',
      cluster_specifier_plugin: 'cluster specifier plugins (Lua and others) are not implemented; name the cluster with cluster, cluster_header or weighted_clusters',
    },
  },
).superRefine((a, ctx) => {
  const targets = ['cluster', 'cluster_header', 'weighted_clusters'].filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const plugin = 'inline_cluster_specifier_plugin' in a || 'cluster_specifier_plugin' in a
  // host_rewrite_specifier is a oneof in Envoy's RouteAction: at most one may be set.
  const hostRewrites = ['host_rewrite_literal', 'auto_host_rewrite', 'host_rewrite_header', 'host_rewrite_path_regex'].filter((k) => k in a)
  if (hostRewrites.length > 1)
    ctx.addIssue({ code: 'custom', message: `${hostRewrites.join(' and ')} are mutually exclusive (Envoy's host_rewrite_specifier oneof)`, params: { kind: 'conflict' } })
  if (targets.length !== 1 && !(plugin && targets.length === 0))
    ctx.addIssue({ code: 'custom', message: `a route action needs exactly one of cluster, cluster_header, weighted_clusters (got ${targets.length ? targets.join(', ') : 'none'})`, params: { kind: 'cluster_specifier' } })
  if (a.prefix_rewrite !== undefined && a.regex_rewrite !== undefined)
    ctx.addIssue({ code: 'custom', message: 'prefix_rewrite and regex_rewrite are mutually exclusive', path: ['regex_rewrite'] })
})

export const redirectAction = envoyObject({
  https_redirect: z.boolean().optional(),
  scheme_redirect: z.string().optional(),
  host_redirect: headerValueString.optional(),
  port_redirect: uint32.optional(),
  path_redirect: headerValueString.optional(),
  prefix_rewrite: headerValueString.optional(),
  regex_rewrite: regexRewrite.optional(),
  response_code: envoyEnum(['MOVED_PERMANENTLY', 'FOUND', 'SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'], { caseInsensitive: true }).optional(),
  strip_query: z.boolean().optional(),
}).superRefine((r, ctx) => {
  const paths = ['path_redirect', 'prefix_rewrite', 'regex_rewrite'].filter((k) => (r as Record<string, unknown>)[k] !== undefined)
  if (paths.length > 1) ctx.addIssue({ code: 'custom', message: `path_redirect, prefix_rewrite and regex_rewrite are mutually exclusive (got ${paths.join(', ')})` })
  if (r.https_redirect && r.scheme_redirect !== undefined) ctx.addIssue({ code: 'custom', message: 'https_redirect and scheme_redirect are mutually exclusive' })
})

/** Envoy's RouteConfiguration.max_direct_response_body_size_bytes default. */
const MAX_DIRECT_RESPONSE_BODY = 4096

export const directResponseAction = envoyObject({
  status: uint32.pipe(z.number().min(200).max(599)),
  body: envoyObject(
    { inline_string: z.string().optional(), inline_bytes: z.string().optional() },
    { unsupported: { filename: 'a Worker has no filesystem: use inline_string', environment_variable: 'a Worker has no process environment: use inline_string' } },
  )
    .superRefine((b, ctx) => {
      // Envoy: "response body size is N bytes; maximum is 4096" (config_impl.cc, max_direct_response_body_size_bytes).
      const size = b.inline_string !== undefined ? new TextEncoder().encode(b.inline_string).length : b.inline_bytes !== undefined ? Math.floor((b.inline_bytes.replace(/=+$/, '').length * 3) / 4) : 0
      if (size > MAX_DIRECT_RESPONSE_BODY) ctx.addIssue({ code: 'custom', message: `response body size is ${size} bytes; maximum is ${MAX_DIRECT_RESPONSE_BODY}`, params: { kind: 'too_big' } })
    })
    .optional(),
})

export const route = envoyObject(
  {
    name: z.string().optional(),
    match: routeMatch,
    route: routeAction.optional(),
    redirect: redirectAction.optional(),
    direct_response: directResponseAction.optional(),
    typed_per_filter_config: opaque.optional(),
    /** How much of a request body is buffered so a retry can replay it (Envoy: the listener's buffer limit). */
    per_request_buffer_limit_bytes: wrapped(uint32).optional(),
    ...headerMutationFields,
  },
  {
    ignored: ['metadata', 'decorator', 'tracing', 'stat_prefix', 'request_headers_to_add_timing'],
    notes: { metadata: NOT_ROUTING, decorator: NOT_ROUTING },
    unsupported: { filter_action: 'filter actions are not implemented', non_forwarding_action: 'non-forwarding actions are not implemented' },
  },
).superRefine((r, ctx) => {
  const actions = ['route', 'redirect', 'direct_response'].filter((k) => (r as Record<string, unknown>)[k] !== undefined)
  if (actions.length !== 1)
    ctx.addIssue({ code: 'custom', message: `a route needs exactly one action of route, redirect, direct_response (got ${actions.length ? actions.join(', ') : 'none'})`, params: { kind: 'route_action' } })
})
export type RouteConfig = z.output<typeof route>

export const virtualHost = envoyObject(
  {
    name: z.string().min(1),
    domains: z.array(z.string().min(1)).min(1),
    routes: z.array(route).default([]),
    require_tls: envoyEnum(['NONE', 'EXTERNAL_ONLY', 'ALL'], { caseInsensitive: true }).optional(),
    cors: opaque.optional(),
    retry_policy: retryPolicy.optional(),
    rate_limits: z.array(opaque).optional(),
    typed_per_filter_config: opaque.optional(),
    per_request_buffer_limit_bytes: wrapped(uint32).optional(),
    ...headerMutationFields,
  },
  {
    ignored: ['include_request_attempt_count', 'include_attempt_count_in_response', 'virtual_clusters', 'metadata', 'request_mirror_policies', 'retry_policy_typed_config', 'hedge_policy'],
    notes: { virtual_clusters: 'virtual cluster stats are not collected', request_mirror_policies: NOT_MIRRORED, hedge_policy: NOT_HEDGED },
  },
).superRefine((vh, ctx) => {
  // Envoy refuses a virtual cluster that matches nothing: VirtualCluster.headers needs at least one matcher.
  const vcs = (vh as Record<string, unknown>).virtual_clusters
  if (Array.isArray(vcs))
    vcs.forEach((vc, i) => {
      const headers = typeof vc === 'object' && vc !== null ? (vc as Record<string, unknown>).headers : undefined
      if (!Array.isArray(headers) || headers.length === 0)
        ctx.addIssue({ code: 'custom', path: ['virtual_clusters', i, 'headers'], message: 'a virtual cluster needs at least one header matcher (:path, :method, …)', params: { kind: 'missing_field' } })
    })
})
export type VirtualHostConfig = z.output<typeof virtualHost>

export const routeConfiguration = envoyObject(
  {
    name: z.string().optional(),
    virtual_hosts: z.array(virtualHost).default([]),
    internal_only_headers: z.array(z.string()).optional(),
    ignore_port_in_host_matching: z.boolean().optional(),
    /** false: a route may name a cluster that does not exist (it answers cluster_not_found_response_code). */
    validate_clusters: wrapped(z.boolean()).optional(),
    most_specific_header_mutations_wins: z.boolean().optional(),
    ignore_path_parameters_in_path_matching: z.boolean().optional(),
    ...headerMutationFields,
  },
  {
    ignored: ['max_direct_response_body_size_bytes', 'request_mirror_policies', 'typed_per_filter_config', 'metadata', 'vhds', 'cluster_specifier_plugins', 'request_headers_to_add_timing'],
    notes: { request_mirror_policies: NOT_MIRRORED },
  },
)
export type RouteConfigurationConfig = z.output<typeof routeConfiguration>

export { fractionalPercent }
