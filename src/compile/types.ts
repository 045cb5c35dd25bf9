/**
 * The compiled routing snapshot: what the request path reads.
 *
 * A snapshot is built whole from a validated config by `compileConfig()`,
 * deep-frozen, and replaced whole when the config changes — never patched in
 * place (Envoy: `ConfigImpl` is immutable; per-request state lives elsewhere).
 * camelCase from here on; snake_case lives only in `src/config/`.
 */
import type { Re2Regex } from '../regex/index.js'

import type {
  AccessLogIR, CircuitBreakerIR, MaxStreamDurationIR, MirrorPolicyIR, ClusterLbIR, CorsPolicyIR, FaultIR, FractionIR, HashPolicyIR, HealthCheckIR, HostIR, HttpFilterIR,
  JwtAuthnIR, JwtPerRouteIR, LocalRateLimitIR, CloudflareRateLimitIR, OutlierIR, RbacIR, RouteMatchIR, TracingIR, ZipkinIR,
  CompressorIR, DecompressorIR, HeaderToMetadataIR, OAuth2IR,
} from './ir.js'

/** What a header value's command operators read (`%REQ(x)%`, `%UPSTREAM_REMOTE_ADDRESS%`, …). */
export interface HeaderValueContext {
  readonly request: Request
  readonly clientIp: string | undefined
  readonly upstreamHost?: string | undefined
  readonly protocol?: string
  readonly startTime: number
}

/** A header to add, with Envoy's `HeaderValueOption.append_action`. */
export interface HeaderToAdd {
  readonly key: string
  /** The value as written. */
  readonly value: string
  readonly action: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS'
  readonly keepEmptyValue: boolean
  /** The value's command operators, parsed at compile time; undefined when the value is literal text. */
  readonly format: ((ctx: HeaderValueContext) => string) | undefined
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
  /**
   * Where the request's random value for `runtime_fraction` comes from ([0, 1)); route
   * selection draws it once, so every route tested sees the same value (Envoy draws
   * one per stream: ConnectionManagerImpl's stream_id). Absent: Math.random.
   */
  readonly random?: () => number
}

/** A compiled `config.route.v3.HeaderMatcher`. */
export interface HeaderPredicate {
  readonly name: string
  /** Whether the header (several values joined by ",") satisfies the matcher; `:method` etc. are pseudo-headers. */
  readonly test: (request: MatchRequest) => boolean
  readonly describe: string
}

/**
 * A request's query parameters as route matching reads them: the first value
 * of each name, neither name nor value percent-decoded (Envoy's
 * QueryParamsMulti::parseQueryString). URLSearchParams fits too (decoded).
 */
export interface QueryParams {
  get(name: string): string | null
}

/** A compiled `config.route.v3.QueryParameterMatcher`. */
export interface QueryPredicate {
  readonly name: string
  readonly test: (params: QueryParams) => boolean
  readonly describe: string
}

/** A compiled `config.route.v3.CookieMatcher`: the named cookie's value. */
export interface CookiePredicate {
  readonly name: string
  readonly test: (request: MatchRequest) => boolean
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
  /** `runtime_fraction`: the route matches when the request's random value falls under it. Absent: always. */
  readonly runtimeFraction?: Fraction
  /** `cookies` (RouteMatch.cookies); empty: none. */
  readonly cookies?: readonly CookiePredicate[]
}

/** `upgrade_configs` by lower-cased upgrade type (`websocket`): enabled, or explicitly disabled. */
export type UpgradeMap = Readonly<Record<string, boolean>>

export interface WeightedCluster {
  /** The cluster; '' when `clusterHeader` names it. */
  readonly name: string
  readonly weight: number
  readonly requestHeaders: HeaderMutation
  readonly responseHeaders: HeaderMutation
  readonly hostRewrite: string | undefined
  /** `cluster_header`, lower-case: the request header (or pseudo-header) naming the cluster. */
  readonly clusterHeader: string | undefined
}

/** How the path is rewritten before forwarding (or redirecting). */
export type PathRewrite =
  | { readonly kind: 'prefix'; readonly prefix: string }
  /** RE2::GlobalReplace on the path (query excluded); `substitution` in RE2's rewrite syntax (`\1`). */
  | { readonly kind: 'regex'; readonly pattern: Re2Regex; readonly substitution: string }

/** `type.v3.FractionalPercent` with its denominator as a number. */
export type Fraction = FractionIR

/** A route's (or virtual host's) `retry_policy`, with Envoy's defaults. */
export interface RetryPolicy {
  readonly retryOn: ReadonlySet<string>
  readonly numRetries: number
  /** 0: none (the route timeout alone bounds each try). */
  readonly perTryTimeoutMs: number
  readonly retriableStatusCodes: ReadonlySet<number>
  /** `envoy.retry_host_predicates.previous_hosts`: a retry avoids the hosts already tried. */
  readonly avoidPreviousHosts: boolean
  readonly hostSelectionMaxAttempts: number
  readonly backOffBaseMs: number
  readonly backOffMaxMs: number
}

/** One `hash_policy` entry (RING_HASH / MAGLEV request hash). */
export type HashPolicy = HashPolicyIR

/** One action of a `rate_limits` entry, ready to produce its descriptor entry. */
export type RateLimitAction =
  | { readonly kind: 'generic_key'; readonly key: string; readonly value: string }
  | { readonly kind: 'request_headers'; readonly header: string; readonly key: string; readonly skipIfAbsent: boolean }
  | { readonly kind: 'remote_address' }
  | { readonly kind: 'destination_cluster' }
  | { readonly kind: 'header_value_match'; readonly key: string; readonly value: string; readonly expectMatch: boolean; readonly headers: readonly HeaderPredicate[] }
  | { readonly kind: 'unsupported' }

/** A `config.route.v3.RateLimit` entry. */
export interface RateLimit {
  readonly stage: number
  readonly actions: readonly RateLimitAction[]
}

/** A CORS policy (`cors` on a route or virtual host, or the cors filter's per-route config). */
export interface CorsPolicy extends Omit<CorsPolicyIR, 'allowOrigin'> {
  readonly allowOrigin: (origin: string) => boolean
}

/** A `RequestMirrorPolicy`: shadow a copy of the request to another cluster. */
export type MirrorPolicy = MirrorPolicyIR
/** `RouteAction.MaxStreamDuration`, in ms (undefined: not set). */
export type MaxStreamDuration = MaxStreamDurationIR

export interface ForwardAction {
  readonly type: 'route'
  readonly target:
    | { readonly kind: 'cluster'; readonly name: string }
    | { readonly kind: 'cluster_header'; readonly header: string }
    | {
        readonly kind: 'weighted'
        readonly clusters: readonly WeightedCluster[]
        readonly totalWeight: number
        /** `header_name`, lower-case: the request header the pick's value is read from; undefined: random. */
        readonly headerName: string | undefined
        /** `use_hash_policy`: without a header value, the route's hash_policy hash picks (random when it yields none). */
        readonly useHashPolicy: boolean
      }
  readonly pathRewrite: PathRewrite | undefined
  /** `host_rewrite_literal` (v2 `host_rewrite`). */
  readonly hostRewrite: string | undefined
  /** `host_rewrite_header`, lower-case. */
  readonly hostRewriteHeader: string | undefined
  /** `host_rewrite_path_regex`: RE2::GlobalReplace on the path without its query. */
  readonly hostRewritePathRegex: { readonly pattern: Re2Regex; readonly substitution: string } | undefined
  /** Whole-request timeout in ms; 0 disables it (Envoy default 15 s; 0 when max_stream_duration is set, as Envoy's "new timeouts"). */
  readonly timeoutMs: number
  /** The route's retry_policy, else its virtual host's; undefined when neither has one. */
  readonly retryPolicy: RetryPolicy | undefined
  readonly hashPolicy: readonly HashPolicy[]
  /** The route action's `rate_limits`. */
  readonly rateLimits: readonly RateLimit[]
  /** How much of a request body is kept for retries (route's, else virtual host's, else the default). */
  readonly bufferLimitBytes: number
  /** `cluster_not_found_response_code` as a status. */
  readonly clusterNotFoundStatus: 404 | 500 | 503
  /** Route `idle_timeout` in ms, overriding the HCM's stream_idle_timeout (0 disables); undefined: the HCM's. */
  readonly idleTimeoutMs: number | undefined
  /** Route `max_stream_duration`, overriding the HCM's; undefined: the HCM's applies. */
  readonly maxStreamDuration: MaxStreamDuration | undefined
  /** `request_mirror_policies`, in order. */
  readonly mirrors: readonly MirrorPolicy[]
  /** The route's `upgrade_configs`: each overrides the connection manager's for its type. */
  readonly upgrades: UpgradeMap
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

// --- HTTP filters ------------------------------------------------------------

/** `envoy.filters.http.fault` (listener or per-route). */
export interface FaultConfig extends Omit<FaultIR, 'headers'> {
  readonly headers: readonly HeaderPredicate[]
}

export type LocalRateLimitConfig = LocalRateLimitIR
export type CloudflareRateLimitConfig = CloudflareRateLimitIR

/** What RBAC predicates read from a request. */
export interface RbacRequest {
  readonly match: MatchRequest
  readonly clientIp: string | undefined
  readonly port: number
  readonly metadata: (filter: string) => Readonly<Record<string, unknown>> | undefined
}

export type RbacPredicate = (r: RbacRequest) => boolean

export interface RbacEngine {
  readonly action: 'ALLOW' | 'DENY' | 'LOG'
  readonly policies: readonly { readonly name: string; readonly permission: RbacPredicate; readonly principal: RbacPredicate }[]
}

/** RBAC's unified `matcher`, compiled: the action it reaches for a request, or undefined (no match: denied). */
export type RbacMatcherEngine = (r: RbacRequest) => { readonly name: string; readonly action: 'ALLOW' | 'DENY' | 'LOG' } | undefined

/** `envoy.filters.http.rbac` with its policies compiled to predicates. */
export interface RbacConfig extends Omit<RbacIR, 'rules' | 'shadowRules' | 'matcher' | 'shadowMatcher'> {
  readonly rules: RbacEngine | undefined
  readonly shadowRules: RbacEngine | undefined
  /** The unified matcher API; when set, `rules` are ignored (Envoy). */
  readonly matcher?: RbacMatcherEngine | undefined
  readonly shadowMatcher?: RbacMatcherEngine | undefined
}

export interface JwtAuthnConfig extends Omit<JwtAuthnIR, 'rules'> {
  readonly rules: readonly { readonly match: RouteMatch; readonly requires: JwtAuthnIR['rules'][number]['requires'] }[]
}

export type JwtPerRouteConfig = JwtPerRouteIR

/** `envoy.filters.http.health_check`, compiled. */
export interface HealthCheckFilterConfig {
  readonly passThrough: boolean
  readonly headers: readonly HeaderPredicate[]
}

/** `envoy.filters.http.csrf` CsrfPolicy, compiled. */
export interface CsrfPolicy {
  readonly filterEnabled: Fraction | undefined
  readonly shadowEnabled: Fraction | undefined
  readonly additionalOrigins: readonly StringMatch[]
}

export type CompressorConfig = CompressorIR
export type DecompressorConfig = DecompressorIR
export type HeaderToMetadataConfig = HeaderToMetadataIR

/** One `header_mutation` step, compiled (append values keep their pre-parsed formatters). */
export type HeaderMutationStep =
  | { readonly kind: 'remove'; readonly name: string }
  | { readonly kind: 'append'; readonly mutation: HeaderMutation }
  | { readonly kind: 'remove_on_match'; readonly keyMatcher: StringMatch }

export interface HeaderMutationFilterConfig {
  readonly request: readonly HeaderMutationStep[]
  readonly response: readonly HeaderMutationStep[]
}

/** Per-route config of each filter kind, compiled. */
export interface PerRouteConfigs {
  readonly cors: CorsPolicy
  readonly fault: FaultConfig
  readonly local_ratelimit: LocalRateLimitConfig
  readonly cloudflare_ratelimit: CloudflareRateLimitConfig
  /** RBACPerRoute: undefined `rbac` means no rules apply on this route. */
  readonly rbac: { readonly rbac: RbacConfig | undefined }
  readonly jwt_authn: JwtPerRouteConfig
  readonly csrf: CsrfPolicy
  readonly header_mutation: HeaderMutationFilterConfig
  readonly header_to_metadata: HeaderToMetadataConfig
  readonly oauth2: never
  readonly health_check: never
  readonly cache: never
  readonly compressor: never
  readonly decompressor: never
}

/** Listener-level config of each filter kind, compiled. */
export interface FilterConfigs {
  readonly router: undefined
  readonly unknown: undefined
  readonly cors: undefined
  readonly fault: FaultConfig
  readonly local_ratelimit: LocalRateLimitConfig
  readonly cloudflare_ratelimit: CloudflareRateLimitConfig
  readonly rbac: RbacConfig
  readonly jwt_authn: JwtAuthnConfig
  readonly health_check: HealthCheckFilterConfig
  readonly csrf: CsrfPolicy
  readonly cache: CacheFilterConfig
  readonly compressor: CompressorConfig
  readonly decompressor: DecompressorConfig
  readonly header_mutation: HeaderMutationFilterConfig
  readonly header_to_metadata: HeaderToMetadataConfig
  readonly oauth2: OAuth2Config | undefined
}

export type HttpFilterKind = HttpFilterIR['kind']

/** An `http_filters` entry, compiled: its kind (the filter it is) and typed config. */
export type HttpFilter = {
  [K in HttpFilterKind]: {
    readonly name: string
    readonly typeUrl: string | undefined
    readonly kind: K
    readonly config: FilterConfigs[K]
    readonly isOptional: boolean
    readonly disabled: boolean
  }
}[HttpFilterKind]

/** A `typed_per_filter_config` entry for one filter (the route's over the virtual host's). */
export interface FilterOverride<C = unknown> {
  /** true/false when a FilterConfig says so; undefined when it does not. */
  readonly disabled: boolean | undefined
  /** The filter's own per-route config, compiled. */
  readonly config: C | undefined
}

export interface Route {
  /** Envoy route `name`, or a generated `#<index>`. */
  readonly name: string
  /** Position within its virtual host: the order that decides matching. */
  readonly index: number
  readonly match: RouteMatch
  readonly action: RouteAction
  readonly requestHeaders: HeaderMutation
  readonly responseHeaders: HeaderMutation
  /** The CORS policy in `cors` fields: the route action's, else the virtual host's. */
  readonly cors: CorsPolicy | undefined
  /** Per-filter overrides by http_filters name: the route's `typed_per_filter_config` over its virtual host's. */
  readonly filterOverrides: Readonly<Record<string, FilterOverride>>
}

export interface VirtualHost {
  readonly name: string
  readonly domains: readonly string[]
  readonly routes: readonly Route[]
  readonly requestHeaders: HeaderMutation
  readonly responseHeaders: HeaderMutation
  /** The virtual host's `rate_limits` (applied after the route's). */
  readonly rateLimits: readonly RateLimit[]
  /**
   * `require_tls`: a request whose x-forwarded-proto is not https gets a 301 to
   * https (EXTERNAL_ONLY: unless the request is internal).
   */
  readonly requireTls: 'NONE' | 'EXTERNAL_ONLY' | 'ALL'
}

export interface RouteTable {
  readonly name: string
  readonly virtualHosts: readonly VirtualHost[]
  readonly findVirtualHost: (authority: string) => VirtualHost | undefined
  readonly requestHeaders: HeaderMutation
  readonly responseHeaders: HeaderMutation
  /** `internal_only_headers`, lower-cased: removed from every request that is not internal. */
  readonly internalOnlyHeaders: readonly string[]
  /** `most_specific_header_mutations_wins`: mutations apply global → virtual host → route (default: route → virtual host → global). */
  readonly mostSpecificHeaderMutationsWins: boolean
  /** `ignore_path_parameters_in_path_matching`: route paths are matched up to the first `;` (the route index is fed the same). */
  readonly ignorePathParameters: boolean
}

export type { DownstreamPolicy, EscapedSlashesAction } from './ir.js'
import type { DownstreamPolicy } from './ir.js'

// --- observability -----------------------------------------------------------

/** An access logger: where it writes and its parsed format (operators are bound when the app is built). */
export type AccessLog = AccessLogIR
export type ZipkinConfig = ZipkinIR
export type TracingConfig = TracingIR

export interface Listener {
  readonly name: string
  readonly address: string
  readonly port: number
  readonly statPrefix: string
  readonly routeTable: RouteTable
  readonly httpFilters: readonly HttpFilter[]
  /** The connection manager's `access_log`, parsed. Absent: none. */
  readonly accessLogs?: readonly AccessLog[]
  /** The connection manager's `tracing` with its provider (HCM's, else the bootstrap's). Absent: tracing is off. */
  readonly tracing?: TracingConfig | undefined
  /** `generate_request_id` (default true). Absent: true. */
  readonly generateRequestId?: boolean
  /** What the connection manager does to a request before filters and routing (path normalization, x-forwarded-*, internal/external). */
  readonly downstream: DownstreamPolicy
  /** HCM `stream_idle_timeout` in ms (Envoy default 5 min); 0 disables it. */
  readonly streamIdleTimeoutMs: number
  /** HCM `request_timeout` in ms; 0 (Envoy's default) disables it. */
  readonly requestTimeoutMs: number
  /** HCM `common_http_protocol_options.max_stream_duration` in ms; 0: none. */
  readonly maxStreamDurationMs: number
  /** HCM `upgrade_configs`: upgrade types allowed (true) on every route unless the route disables them. */
  readonly upgrades: UpgradeMap
}

// --- clusters ----------------------------------------------------------------

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
  /** The endpoint's `metadata.filter_metadata` (Envoy's opaque Struct, as written). */
  readonly metadata: Readonly<Record<string, unknown>>
}

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'MAGLEV' | 'CLUSTER_PROVIDED'

/** One HTTP active health check (`core.v3.HealthCheck` + `http_health_check`). */
export type HealthCheckPolicy = HealthCheckIR
export type OutlierPolicy = OutlierIR
export interface CircuitBreakerThresholds extends Omit<CircuitBreakerIR, 'retryBudget'> {
  /** When set, overrides maxRetries: retries allowed = max(minConcurrency, percent% of active requests). */
  readonly retryBudget: CircuitBreakerIR['retryBudget'] | undefined
}

export interface ClusterResilience {
  readonly healthChecks: readonly HealthCheckPolicy[]
  readonly outlier: OutlierPolicy | undefined
  readonly circuitBreakers: CircuitBreakerThresholds
  /** `common_lb_config.healthy_panic_threshold`, percent (default 50). */
  readonly healthyPanicThreshold: number
  /** `load_assignment.policy.overprovisioning_factor` as a multiplier (default 1.4). */
  readonly overprovisioningFactor: number
}

/** The load-balancer settings of a cluster, with Envoy's defaults. */
export type ClusterLbConfig = ClusterLbIR

export interface Cluster {
  readonly name: string
  readonly type: string
  readonly lbPolicy: LbPolicy
  readonly hosts: readonly Host[]
  readonly connectTimeoutMs: number
  readonly tls: boolean
  readonly resilience: ClusterResilience
  readonly lb: ClusterLbConfig
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
  /** `node.cluster`: the service name spans are reported under. */
  readonly serviceCluster: string | undefined
}


/** `envoy.filters.http.oauth2`, compiled: matchers as predicates, redirect_uri as a formatter over the request's headers. */
export interface OAuth2Config extends Omit<OAuth2IR, 'redirectUri' | 'redirectPathMatcher' | 'signoutPath' | 'passThroughMatchers' | 'denyRedirectMatchers'> {
  /** redirect_uri filled in from the request (`%REQ(name)%`; pseudo-headers as Envoy reads them). */
  readonly redirectUri: (header: (name: string) => string) => string
  /** Matched against `:path` without its query (type.matcher.v3.PathMatcher). */
  readonly redirectPathMatcher: StringMatch
  readonly signoutPath: StringMatch
  readonly passThroughMatchers: readonly HeaderPredicate[]
  readonly denyRedirectMatchers: readonly HeaderPredicate[]
}

/** `envoy.filters.http.cache`, compiled: matchers linked, defaults applied. */
export interface CacheFilterConfig {
  readonly disabled: boolean
  /** Whether a header name may appear in a stored response's Vary. */
  readonly varyAllowed: StringMatch
  readonly excludeScheme: boolean
  readonly excludeHost: boolean
  readonly queryIncluded: readonly CacheQueryMatch[]
  readonly queryExcluded: readonly CacheQueryMatch[]
  readonly maxBodyBytes: number
  readonly ignoreRequestCacheControl: boolean
  readonly statLabel: string
}

/** One key_creator_params query matcher: a parameter name and a test of its raw value. */
export interface CacheQueryMatch {
  readonly name: string
  readonly value: StringMatch
}
