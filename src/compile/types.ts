/**
 * The compiled routing snapshot: what the request path reads.
 *
 * A snapshot is built whole from a validated config by `compileConfig()`,
 * deep-frozen, and replaced whole when the config changes — never patched in
 * place (Envoy: `ConfigImpl` is immutable; per-request state lives elsewhere).
 * camelCase from here on; snake_case lives only in `src/config/`.
 */
import type { Re2Regex } from '../regex/index.js'

/** A header to add, with Envoy's `HeaderValueOption.append_action`. */
export interface HeaderToAdd {
  readonly key: string
  readonly value: string
  readonly action: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS'
  readonly keepEmptyValue: boolean
}

/** `request_headers_to_add/remove` or `response_headers_to_add/remove` at one level. */
export interface HeaderMutation {
  readonly add: readonly HeaderToAdd[]
  readonly remove: readonly string[]
}

/** A compiled string matcher (Envoy `type.matcher.v3.StringMatcher`). */
export type StringMatch = (value: string) => boolean

/** What route matching reads from a request (`:path` keeps its query string, as in Envoy). */
export interface MatchRequest {
  readonly headers: Headers
  readonly method: string
  readonly authority: string
  readonly path: string
  readonly scheme: string
}

/** A compiled `config.route.v3.HeaderMatcher`. */
export interface HeaderPredicate {
  readonly name: string
  /** Whether the header (several values joined by ",") satisfies the matcher; `:method` etc. are pseudo-headers. */
  readonly test: (request: MatchRequest) => boolean
  readonly describe: string
}

/** A compiled `config.route.v3.QueryParameterMatcher`. */
export interface QueryPredicate {
  readonly name: string
  readonly test: (params: URLSearchParams) => boolean
  readonly describe: string
}

/** Path part of a route match; `kind` says which Envoy path specifier it came from. */
export interface PathPredicate {
  readonly kind: 'prefix' | 'path' | 'safe_regex' | 'path_separated_prefix'
  readonly value: string
  readonly caseSensitive: boolean
  readonly test: (path: string) => boolean
  /** Pattern for Hono's router that matches a superset of `test`, or undefined: always a candidate. */
  readonly honoPattern: string | undefined
  /** The pattern is lowercase and is matched against the lowercased path (case-insensitive routes). */
  readonly honoFoldCase?: boolean
}

export interface RouteMatch {
  readonly path: PathPredicate
  readonly headers: readonly HeaderPredicate[]
  readonly queryParameters: readonly QueryPredicate[]
}

export interface WeightedCluster {
  readonly name: string
  readonly weight: number
  readonly requestHeaders: HeaderMutation
  readonly responseHeaders: HeaderMutation
  readonly hostRewrite: string | undefined
}

/** How the path is rewritten before forwarding (or redirecting). */
export type PathRewrite =
  | { readonly kind: 'prefix'; readonly prefix: string }
  /** RE2::GlobalReplace on the path (query excluded); `substitution` in RE2's rewrite syntax (`\1`). */
  | { readonly kind: 'regex'; readonly pattern: Re2Regex; readonly substitution: string }

/** A `RequestMirrorPolicy`: shadow a copy of the request to another cluster. */
export interface MirrorPolicy {
  readonly cluster: string | undefined
  /** Lower-case header naming the cluster. */
  readonly clusterHeader: string | undefined
  /** Share of requests mirrored (runtime_fraction's default_value); undefined: all. */
  readonly fraction: { readonly numerator: number; readonly denominator?: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION' | undefined } | undefined
  /** Append "-shadow" to the authority (Envoy's default). */
  readonly appendShadowSuffix: boolean
  readonly hostRewrite: string | undefined
}

/** `RouteAction.MaxStreamDuration`, in ms (undefined: not set). */
export interface MaxStreamDuration {
  readonly maxMs: number | undefined
  readonly grpcHeaderMaxMs: number | undefined
  readonly grpcHeaderOffsetMs: number | undefined
}

export interface ForwardAction {
  readonly type: 'route'
  readonly target:
    | { readonly kind: 'cluster'; readonly name: string }
    | { readonly kind: 'cluster_header'; readonly header: string }
    | { readonly kind: 'weighted'; readonly clusters: readonly WeightedCluster[]; readonly totalWeight: number }
  readonly pathRewrite: PathRewrite | undefined
  /** `host_rewrite_literal` (v2 `host_rewrite`). */
  readonly hostRewrite: string | undefined
  /** Whole-request timeout in ms; 0 disables it (Envoy default 15 s; 0 when max_stream_duration is set, as Envoy's "new timeouts"). */
  readonly timeoutMs: number
  /** Route `idle_timeout` in ms, overriding the HCM's stream_idle_timeout (0 disables); undefined: the HCM's. */
  readonly idleTimeoutMs: number | undefined
  /** Route `max_stream_duration`, overriding the HCM's; undefined: the HCM's applies. */
  readonly maxStreamDuration: MaxStreamDuration | undefined
  /** `request_mirror_policies`, in order. */
  readonly mirrors: readonly MirrorPolicy[]
  /** Raw Envoy sub-configs later stages interpret (retry_policy, hash_policy, …), snake_case as written. */
  readonly extensions: Readonly<Record<string, unknown>>
}

export interface RedirectAction {
  readonly type: 'redirect'
  readonly scheme: string | undefined
  readonly host: string | undefined
  readonly port: number | undefined
  readonly path: string | undefined
  readonly pathRewrite: PathRewrite | undefined
  readonly responseCode: 301 | 302 | 303 | 307 | 308
  readonly stripQuery: boolean
}

export interface DirectResponseAction {
  readonly type: 'direct_response'
  readonly status: number
  readonly body: string | undefined
}

export type RouteAction = ForwardAction | RedirectAction | DirectResponseAction

export interface Route {
  /** Envoy route `name`, or a generated `#<index>`. */
  readonly name: string
  /** Position within its virtual host: the order that decides matching. */
  readonly index: number
  readonly match: RouteMatch
  readonly action: RouteAction
  readonly requestHeaders: HeaderMutation
  readonly responseHeaders: HeaderMutation
  /** `typed_per_filter_config`, by filter name, as written. */
  readonly perFilterConfig: Readonly<Record<string, unknown>>
  /** Where this route sits in the source config, for errors and the admin API. */
  readonly sourcePath: readonly (string | number)[]
}

export interface VirtualHost {
  readonly name: string
  readonly domains: readonly string[]
  readonly routes: readonly Route[]
  readonly requestHeaders: HeaderMutation
  readonly responseHeaders: HeaderMutation
  readonly perFilterConfig: Readonly<Record<string, unknown>>
  /**
   * `require_tls`: a request whose x-forwarded-proto is not https gets a 301 to
   * https (EXTERNAL_ONLY: unless the request is internal).
   */
  readonly requireTls: 'NONE' | 'EXTERNAL_ONLY' | 'ALL'
  /** Raw Envoy sub-configs interpreted by later stages (cors, retry_policy, …). */
  readonly extensions: Readonly<Record<string, unknown>>
}

export interface RouteTable {
  readonly name: string
  readonly virtualHosts: readonly VirtualHost[]
  readonly findVirtualHost: (authority: string) => VirtualHost | undefined
  readonly requestHeaders: HeaderMutation
  readonly responseHeaders: HeaderMutation
  /** `internal_only_headers`, lower-cased: removed from every request that is not internal. */
  readonly internalOnlyHeaders: readonly string[]
}

/** Envoy's `path_with_escaped_slashes_action` (IMPLEMENTATION_SPECIFIC_DEFAULT compiles to KEEP_UNCHANGED, Envoy's default). */
export type EscapedSlashesAction = 'KEEP_UNCHANGED' | 'REJECT_REQUEST' | 'UNESCAPE_AND_REDIRECT' | 'UNESCAPE_AND_FORWARD'

/**
 * What the HTTP connection manager does to a downstream request before the
 * filters and routing see it (Envoy's ConnectionManagerUtility: path
 * normalization, x-forwarded-*, internal/external, request id).
 */
export interface DownstreamPolicy {
  /** `normalize_path`: RFC 3986 normalization (default false, as Envoy). */
  readonly normalizePath: boolean
  /** `merge_slashes` (default false). */
  readonly mergeSlashes: boolean
  readonly escapedSlashes: EscapedSlashesAction
  /**
   * `internal_address_config` as CIDR ranges: a request whose trusted remote
   * address is in one is internal. Empty (no internal_address_config): none is,
   * as in Envoy ≥ 1.36.
   */
  readonly internalAddresses: readonly { readonly addressPrefix: string; readonly prefixLen: number | undefined }[]
  /** `use_remote_address` (default false). */
  readonly useRemoteAddress: boolean
  readonly xffNumTrustedHops: number
  readonly skipXffAppend: boolean
  /** `generate_request_id` (default true). */
  readonly generateRequestId: boolean
  /** `preserve_external_request_id` (default false: an edge request's x-request-id is replaced). */
  readonly preserveExternalRequestId: boolean
}

/** An `http_filters` entry, normalized to v3 (name, typed config, @type). */
export interface HttpFilterConfig {
  readonly name: string
  readonly typeUrl: string | undefined
  readonly config: Readonly<Record<string, unknown>>
  readonly isOptional: boolean
  readonly disabled: boolean
}

export interface Listener {
  readonly name: string
  readonly address: string
  readonly port: number
  readonly statPrefix: string
  readonly routeTable: RouteTable
  readonly httpFilters: readonly HttpFilterConfig[]
  readonly downstream: DownstreamPolicy
  /** HCM `stream_idle_timeout` in ms (Envoy default 5 min); 0 disables it. */
  readonly streamIdleTimeoutMs: number
  /** HCM `request_timeout` in ms; 0 (Envoy's default) disables it. */
  readonly requestTimeoutMs: number
  /** HCM `common_http_protocol_options.max_stream_duration` in ms; 0: none. */
  readonly maxStreamDurationMs: number
  /** The HTTP connection manager's config as written (access_log, tracing, …). */
  readonly connectionManager: Readonly<Record<string, unknown>>
}

export type HostHealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED'

/** One endpoint of a cluster (Envoy: Host). */
export interface Host {
  /** `host:port` as Envoy prints it in /clusters and stats. */
  readonly address: string
  readonly hostname: string
  readonly port: number
  /** Origin the request goes to, e.g. `http://service_a:8786` (no trailing slash). */
  readonly origin: string
  readonly weight: number
  readonly priority: number
  readonly locality: Readonly<{ region?: string; zone?: string; subZone?: string }>
  readonly localityWeight: number | undefined
  /** Health status assigned in config (EDS `health_status`); active checks add to it at runtime. */
  readonly configuredHealth: HostHealthStatus
  /** Name of a Workers service binding to forward through instead of `fetch()`. */
  readonly binding: string | undefined
  readonly metadata: Readonly<Record<string, unknown>>
}

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'MAGLEV' | 'CLUSTER_PROVIDED'

export interface Cluster {
  readonly name: string
  readonly type: string
  readonly lbPolicy: LbPolicy
  readonly hosts: readonly Host[]
  readonly connectTimeoutMs: number
  readonly tls: boolean
  /** Raw Envoy sub-configs interpreted by later stages (health_checks, outlier_detection, …). */
  readonly extensions: Readonly<Record<string, unknown>>
  /** Content hash of this cluster's config: upstream state survives a new snapshot if this is unchanged. */
  readonly hash: string
}

export interface Snapshot {
  /** Config version (admin API) or `"bundled"`. */
  readonly version: string
  /** Content hash of the config: an identical config is a no-op (Envoy compares hashes too). */
  readonly hash: string
  readonly listeners: readonly Listener[]
  readonly clusters: ReadonlyMap<string, Cluster>
  readonly createdAt: number
  /** The bootstrap's `tracing` as written (the HCM's own `tracing.provider` takes precedence). */
  readonly bootstrapTracing: unknown
  /** `node.cluster`: the service name spans are reported under. */
  readonly serviceCluster: string | undefined
}
