/**
 * A route's action → RouteAction: forward (cluster / cluster_header /
 * weighted_clusters, rewrites, timeout), redirect, or direct response.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction
 */
import type { RouteConfig } from '../config/schema/route.js'
import { compileRe2Regex } from '../config/re2.js'
import { compileHeaderMutations } from './headers.js'
import type { PathRewrite, RouteAction } from './types.js'

/** Envoy's default route timeout. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000

const REDIRECT_CODES = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 } as const

type RegexRewriteConfig = { pattern: { regex: string }; substitution: string }

/** Envoy runs RE2::GlobalReplace(path, pattern, substitution): the engine's replaceAll, `\N` substitutions as written. */
const compileRegexRewrite = (r: RegexRewriteConfig): PathRewrite => ({ kind: 'regex', pattern: compileRe2Regex(r.pattern.regex), substitution: r.substitution })

const pathRewrite = (a: { prefix_rewrite?: string | undefined; regex_rewrite?: RegexRewriteConfig | undefined }): PathRewrite | undefined =>
  a.prefix_rewrite !== undefined ? { kind: 'prefix', prefix: a.prefix_rewrite } : a.regex_rewrite ? compileRegexRewrite(a.regex_rewrite) : undefined

export function compileAction(r: RouteConfig, vhostBufferLimit?: number): RouteAction {
  if (r.direct_response) {
    const body = r.direct_response.body
    const text = body?.inline_string ?? (body?.inline_bytes !== undefined ? atob(body.inline_bytes) : undefined)
    return { type: 'direct_response', status: r.direct_response.status, body: text }
  }
  if (r.redirect) {
    const d = r.redirect
    return {
      type: 'redirect',
      scheme: d.https_redirect ? 'https' : d.scheme_redirect,
      host: d.host_redirect,
      port: d.port_redirect,
      path: d.path_redirect,
      pathRewrite: pathRewrite(d),
      responseCode: REDIRECT_CODES[d.response_code ?? 'MOVED_PERMANENTLY'],
      stripQuery: d.strip_query === true,
    }
  }
  const a = r.route!
  const { retry_policy, hash_policy, cors, rate_limits, request_mirror_policies, idle_timeout, max_stream_duration, upgrade_configs, priority, cluster_not_found_response_code } = a
  // The route's buffer limit, else its virtual host's (Envoy: the most specific wins).
  const per_request_buffer_limit_bytes = r.per_request_buffer_limit_bytes ?? vhostBufferLimit
  const extensions = Object.fromEntries(
    Object.entries({ retry_policy, hash_policy, cors, rate_limits, request_mirror_policies, idle_timeout, max_stream_duration, upgrade_configs, priority, cluster_not_found_response_code, per_request_buffer_limit_bytes })
      .filter(([, v]) => v !== undefined),
  )
  const target: Extract<RouteAction, { type: 'route' }>['target'] =
    a.cluster !== undefined
      ? { kind: 'cluster', name: a.cluster }
      : a.cluster_header !== undefined
        ? { kind: 'cluster_header', header: a.cluster_header.toLowerCase() }
        : {
            kind: 'weighted',
            clusters: a.weighted_clusters!.clusters.map((c) => {
              const m = compileHeaderMutations(c)
              return { name: c.name, weight: c.weight, requestHeaders: m.request, responseHeaders: m.response, hostRewrite: c.host_rewrite_literal }
            }),
            totalWeight: a.weighted_clusters!.clusters.reduce((s, c) => s + c.weight, 0),
          }
  return {
    type: 'route',
    target,
    pathRewrite: pathRewrite(a),
    hostRewrite: a.host_rewrite_literal,
    // A route with max_stream_duration uses Envoy's "new timeouts": the route
    // timeout is off (router.cc FilterUtility::finalTimeout, usingNewTimeouts()).
    timeoutMs: a.max_stream_duration !== undefined ? 0 : (a.timeout ?? DEFAULT_ROUTE_TIMEOUT_MS),
    idleTimeoutMs: a.idle_timeout,
    maxStreamDuration: a.max_stream_duration && {
      maxMs: a.max_stream_duration.max_stream_duration,
      grpcHeaderMaxMs: a.max_stream_duration.grpc_timeout_header_max,
      grpcHeaderOffsetMs: a.max_stream_duration.grpc_timeout_header_offset,
    },
    mirrors: (a.request_mirror_policies ?? []).map((m) => ({
      cluster: m.cluster,
      clusterHeader: m.cluster_header?.toLowerCase(),
      fraction: m.runtime_fraction?.default_value,
      appendShadowSuffix: m.disable_shadow_host_suffix_append !== true,
      hostRewrite: m.host_rewrite_literal,
    })),
    extensions,
  }
}
