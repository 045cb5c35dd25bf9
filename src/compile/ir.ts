import type { ProgramJson } from '../regex/serialize.js'

/**
 * The snapshot's plain-data form (IR): what `lower()` makes of a validated
 * config and what `link()` turns into the runtime Snapshot (closures,
 * indexes, RegExps). Everything here is JSON: matchers are data such as
 * `{ kind: 'prefix', value, ignoreCase }`, regexes carry their RE2 source and
 * its JS translation, defaults are applied, durations are milliseconds, and
 * an absent optional field means "none" (that keeps the serialized form
 * compact). camelCase only; no config/ import, so the data plane may read it.
 *
 * Changing a shape here changes the serialized format: bump IR_REVISION in
 * src/snapshot/format.ts.
 */

/** A safe_regex: the RE2 pattern as written and its compiled program for the linear-time engine (src/regex/). */
export interface RegexIR {
  readonly re2: string
  readonly program: ProgramJson
}

/** `type.matcher.v3.StringMatcher`. */
export type StringMatcherIR =
  | { readonly kind: 'exact' | 'prefix' | 'suffix' | 'contains'; readonly value: string; readonly ignoreCase?: true }
  | { readonly kind: 'regex'; readonly regex: RegexIR }

/** What a header matcher tests a present header's value with. */
export type HeaderValueMatchIR =
  | StringMatcherIR
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  /** `present_match`: the header's presence is all that counts. */
  | { readonly kind: 'present'; readonly present: boolean }
  /** No specifier (or `exact_match: ""`): any value. */
  | { readonly kind: 'any' }

/** `config.route.v3.HeaderMatcher` (name lowercased). */
export interface HeaderMatcherIR {
  readonly name: string
  readonly match: HeaderValueMatchIR
  readonly invert?: true
  readonly treatMissingAsEmpty?: true
  readonly describe: string
}

/** `config.route.v3.QueryParameterMatcher`. */
export interface QueryMatcherIR {
  readonly name: string
  readonly match: StringMatcherIR | { readonly kind: 'any' }
  readonly describe: string
}

export interface PathMatchIR {
  readonly kind: 'prefix' | 'path' | 'safe_regex' | 'path_separated_prefix'
  readonly value: string
  /** Absent: case-sensitive (Envoy's default). */
  readonly caseSensitive?: false
  /** The full-match regex of a `safe_regex` path. */
  readonly regex?: RegexIR
  readonly honoPattern?: string
  readonly honoFoldCase?: true
}

/** `config.route.v3.CookieMatcher` (RouteMatch.cookies): one cookie's value, by name. */
export interface CookieMatcherIR {
  readonly name: string
  readonly match: StringMatcherIR
  readonly invert?: true
  readonly describe: string
}

export interface RouteMatchIR {
  readonly path: PathMatchIR
  readonly headers?: readonly HeaderMatcherIR[]
  readonly queryParameters?: readonly QueryMatcherIR[]
  /** `runtime_fraction.default_value`: the share of requests the route matches. Absent: all. */
  readonly runtimeFraction?: FractionIR
  readonly cookies?: readonly CookieMatcherIR[]
}

/** `upgrade_configs` (HCM or route) by lower-cased upgrade type: enabled or explicitly disabled. */
export type UpgradeMapIR = Readonly<Record<string, boolean>>

/** A header value with its command operators parsed: literal text and `%OP(arg)%` in order. */
export type HeaderFormatPartIR = string | { readonly op: string; readonly arg?: string }

export interface HeaderToAddIR {
  readonly key: string
  readonly value: string
  readonly action: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS'
  readonly keepEmptyValue?: true
  /** Present when the value has command operators. */
  readonly parts?: readonly HeaderFormatPartIR[]
}

/** Absent: nothing to change. */
export interface HeaderMutationIR {
  readonly add?: readonly HeaderToAddIR[]
  readonly remove?: readonly string[]
}

export type PathRewriteIR =
  | { readonly kind: 'prefix'; readonly prefix: string }
  /** RE2::GlobalReplace; `substitution` in RE2's rewrite syntax (`\\1`), as written. */
  | { readonly kind: 'regex'; readonly regex: RegexIR; readonly substitution: string }

export interface FractionIR {
  readonly numerator: number
  readonly denominator: 100 | 10_000 | 1_000_000
}

export interface RetryPolicyIR {
  readonly retryOn: readonly string[]
  readonly numRetries: number
  readonly perTryTimeoutMs: number
  readonly retriableStatusCodes: readonly number[]
  readonly avoidPreviousHosts: boolean
  readonly hostSelectionMaxAttempts: number
  readonly backOffBaseMs: number
  readonly backOffMaxMs: number
}

/** One `hash_policy` entry. */
export type HashPolicyIR = (
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string; readonly ttlMs?: number; readonly path?: string; readonly attributes?: readonly { readonly name: string; readonly value?: string }[] }
  | { readonly kind: 'source_ip' }
  | { readonly kind: 'query_parameter'; readonly name: string }
) & { readonly terminal?: true }

/** One action of a `rate_limits` entry; what it contributes to the descriptor. */
export type RateLimitActionIR =
  | { readonly kind: 'generic_key'; readonly key: string; readonly value: string }
  | { readonly kind: 'request_headers'; readonly header: string; readonly key: string; readonly skipIfAbsent?: true }
  | { readonly kind: 'remote_address' }
  | { readonly kind: 'destination_cluster' }
  | { readonly kind: 'header_value_match'; readonly key: string; readonly value: string; readonly expectMatch: boolean; readonly headers: readonly HeaderMatcherIR[] }
  /** An action edgevoy cannot produce: the descriptor is never generated. */
  | { readonly kind: 'unsupported' }

export interface RateLimitIR {
  readonly stage: number
  readonly actions: readonly RateLimitActionIR[]
}

export interface CorsPolicyIR {
  readonly allowOrigin: readonly StringMatcherIR[]
  readonly allowMethods?: string
  readonly allowHeaders?: string
  readonly exposeHeaders?: string
  readonly maxAge?: string
  readonly allowCredentials?: true
  readonly allowPrivateNetworkAccess?: true
  /** Envoy's default is true. */
  readonly forwardNotMatchingPreflights: boolean
  readonly filterEnabled?: FractionIR
  readonly shadowEnabled?: FractionIR
}

export interface WeightedClusterIR {
  /** The cluster; '' when `clusterHeader` names it. */
  readonly name: string
  readonly weight: number
  readonly requestHeaders?: HeaderMutationIR
  readonly responseHeaders?: HeaderMutationIR
  readonly hostRewrite?: string
  /** `cluster_header`, lower-case (pseudo-headers such as `:authority` too): the request header naming the cluster. */
  readonly clusterHeader?: string
}

/** A `RequestMirrorPolicy`: shadow a copy of the request to another cluster. */
export interface MirrorPolicyIR {
  readonly cluster?: string
  /** Lower-case header naming the cluster. */
  readonly clusterHeader?: string
  /** Share of requests mirrored (runtime_fraction's default_value); absent: all. */
  readonly fraction?: FractionIR
  /** Append "-shadow" to the authority (Envoy's default). */
  readonly appendShadowSuffix: boolean
  readonly hostRewrite?: string
}

/** `RouteAction.MaxStreamDuration`, in ms (absent: not set). */
export interface MaxStreamDurationIR {
  readonly maxMs?: number
  readonly grpcHeaderMaxMs?: number
  readonly grpcHeaderOffsetMs?: number
}

export interface ForwardActionIR {
  readonly type: 'route'
  readonly target:
    | { readonly kind: 'cluster'; readonly name: string }
    | { readonly kind: 'cluster_header'; readonly header: string }
    | {
        readonly kind: 'weighted'
        readonly clusters: readonly WeightedClusterIR[]
        readonly totalWeight: number
        /** `header_name`, lower-case: the pick's value is read from this request header when it holds a uint64. */
        readonly headerName?: string
        /** `use_hash_policy`: else the pick's value is the route's hash_policy hash, when it yields one. */
        readonly useHashPolicy?: true
      }
  readonly pathRewrite?: PathRewriteIR
  readonly hostRewrite?: string
  /** `host_rewrite_header`, lower-case: the upstream authority is this request header's value (when present). */
  readonly hostRewriteHeader?: string
  /** `host_rewrite_path_regex`: the upstream authority is the path (query removed) with the regex substituted. */
  readonly hostRewritePathRegex?: { readonly regex: RegexIR; readonly substitution: string }
  /** Absent: Envoy's default, DEFAULT_ROUTE_TIMEOUT_MS; 0 disables it. */
  readonly timeoutMs?: number
  /** The route's retry_policy, else its virtual host's: an index into SnapshotIR.retryPolicies (routes share them). */
  readonly retryPolicy?: number
  readonly hashPolicy?: readonly HashPolicyIR[]
  readonly rateLimits?: readonly RateLimitIR[]
  /** The route's, else its virtual host's per_request_buffer_limit_bytes. */
  readonly bufferLimitBytes?: number
  /** cluster_not_found_response_code as a status; absent: 503. */
  readonly clusterNotFoundStatus?: 404 | 500
  /** Route `idle_timeout` in ms (0 disables); absent: the HCM's stream_idle_timeout. */
  readonly idleTimeoutMs?: number
  /** Route `max_stream_duration`; absent: the HCM's applies. */
  readonly maxStreamDuration?: MaxStreamDurationIR
  /** `request_mirror_policies`, in order. */
  readonly mirrors?: readonly MirrorPolicyIR[]
  /** The route's `upgrade_configs`; absent: none (the connection manager's decide). */
  readonly upgrades?: UpgradeMapIR
}

export interface RedirectActionIR {
  readonly type: 'redirect'
  readonly scheme?: string
  readonly host?: string
  readonly port?: number
  readonly path?: string
  readonly pathRewrite?: PathRewriteIR
  readonly responseCode: 301 | 302 | 303 | 307 | 308
  readonly stripQuery: boolean
}

export interface DirectResponseActionIR {
  readonly type: 'direct_response'
  readonly status: number
  readonly body?: string
}

export type RouteActionIR = ForwardActionIR | RedirectActionIR | DirectResponseActionIR

/** A `typed_per_filter_config` entry, typed by the filter it names (only filters in the chain). */
export interface FilterOverrideIR {
  /** true/false when a FilterConfig says so. */
  readonly disabled?: boolean
  readonly config?: PerRouteFilterConfigIR
}

export interface RouteIR {
  readonly name: string
  readonly match: RouteMatchIR
  readonly action: RouteActionIR
  readonly requestHeaders?: HeaderMutationIR
  readonly responseHeaders?: HeaderMutationIR
  /** The route action's `cors`, else the virtual host's. */
  readonly cors?: CorsPolicyIR
  /** By http_filters name. */
  readonly filterOverrides?: Readonly<Record<string, FilterOverrideIR>>
}

export interface VirtualHostIR {
  readonly name: string
  readonly domains: readonly string[]
  readonly routes: readonly RouteIR[]
  readonly requestHeaders?: HeaderMutationIR
  readonly responseHeaders?: HeaderMutationIR
  readonly rateLimits?: readonly RateLimitIR[]
  readonly filterOverrides?: Readonly<Record<string, FilterOverrideIR>>
  /** `require_tls`; absent: NONE. */
  readonly requireTls?: 'EXTERNAL_ONLY' | 'ALL'
}

export interface RouteTableIR {
  readonly name: string
  /** `internal_only_headers`, lower-cased. Absent: none. */
  readonly internalOnlyHeaders?: readonly string[]
  readonly virtualHosts: readonly VirtualHostIR[]
  readonly requestHeaders?: HeaderMutationIR
  readonly responseHeaders?: HeaderMutationIR
  readonly stripAnyPort?: true
  readonly stripPort?: number
  /** `most_specific_header_mutations_wins`: route mutations are applied last (absent: first). */
  readonly mostSpecificHeaderMutationsWins?: true
  /** `ignore_path_parameters_in_path_matching`: the path is matched up to its first `;`. */
  readonly ignorePathParameters?: true
}

// --- HTTP filters ----------------------------------------------------------

export interface FaultIR {
  readonly headers?: readonly HeaderMatcherIR[]
  readonly upstreamCluster?: string
  readonly maxActiveFaults?: number
  readonly delay?: { readonly fixedDelayMs?: number; readonly headerDelay?: true; readonly percentage?: FractionIR }
  readonly abort?: { readonly httpStatus?: number; readonly headerAbort?: true; readonly percentage?: FractionIR }
}

export interface TokenBucketIR {
  readonly maxTokens: number
  readonly tokensPerFill: number
  readonly fillIntervalMs: number
}

export interface LocalRateLimitIR {
  readonly statPrefix: string
  readonly status: number
  readonly tokenBucket?: TokenBucketIR
  readonly filterEnabled?: FractionIR
  readonly filterEnforced?: FractionIR
  readonly requestHeadersToAddWhenNotEnforced?: readonly { readonly key: string; readonly value: string }[]
  readonly responseHeadersToAdd?: readonly { readonly key: string; readonly value: string; readonly append: boolean }[]
  readonly descriptors?: readonly { readonly entries: readonly { readonly key: string; readonly value: string }[]; readonly tokenBucket: TokenBucketIR }[]
  readonly stage: number
}

export interface CloudflareRateLimitIR {
  readonly statPrefix: string
  readonly binding: string
  readonly key: { readonly kind: 'remote_address' } | { readonly kind: 'request_header'; readonly name: string } | { readonly kind: 'generic_key'; readonly value: string }
  readonly failureModeDeny: boolean
}

export interface CidrIR {
  readonly addressPrefix: string
  readonly prefixLen?: number
}

export type ValueMatcherIR =
  | { readonly kind: 'string'; readonly match: StringMatcherIR }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'double_exact'; readonly value: number }
  | { readonly kind: 'double_range'; readonly start: number; readonly end: number }
  | { readonly kind: 'present'; readonly present: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'list_one_of'; readonly item: ValueMatcherIR }
  | { readonly kind: 'never' }

export interface MetadataMatcherIR {
  readonly filter: string
  readonly path: readonly string[]
  readonly value: ValueMatcherIR
  readonly invert?: true
}

/** `config.rbac.v3.Principal` / `Permission`, one tree type for both. */
export type RbacMatcherIR =
  | { readonly kind: 'any' }
  | { readonly kind: 'and' | 'or'; readonly items: readonly RbacMatcherIR[] }
  | { readonly kind: 'not'; readonly item: RbacMatcherIR }
  | { readonly kind: 'remote_ip'; readonly cidr: CidrIR }
  | { readonly kind: 'header'; readonly header: HeaderMatcherIR }
  | { readonly kind: 'url_path'; readonly path: StringMatcherIR }
  | { readonly kind: 'destination_port'; readonly port: number }
  | { readonly kind: 'metadata'; readonly metadata: MetadataMatcherIR }
  | { readonly kind: 'never' }

export interface RbacRulesIR {
  readonly action: 'ALLOW' | 'DENY' | 'LOG'
  readonly policies: readonly { readonly name: string; readonly permissions: readonly RbacMatcherIR[]; readonly principals: readonly RbacMatcherIR[] }[]
}

/** An input of the unified matcher API that edgevoy can evaluate in a Worker. */
export type MatchInputIR =
  | { readonly kind: 'request_header'; readonly name: string }
  | { readonly kind: 'source_ip' }
  | { readonly kind: 'destination_port' }

export type InputMatcherIR = { readonly kind: 'string'; readonly match: StringMatcherIR } | { readonly kind: 'ip'; readonly ranges: readonly CidrIR[] }

export type MatchPredicateIR =
  | { readonly kind: 'single'; readonly input: MatchInputIR; readonly matcher: InputMatcherIR }
  | { readonly kind: 'or' | 'and'; readonly predicates: readonly MatchPredicateIR[] }
  | { readonly kind: 'not'; readonly predicate: MatchPredicateIR }

/** `xds.type.matcher.v3.Matcher.OnMatch` with an RBAC action (`config.rbac.v3.Action`). */
export type OnMatchIR =
  | { readonly kind: 'action'; readonly name: string; readonly action: 'ALLOW' | 'DENY' | 'LOG' }
  | { readonly kind: 'matcher'; readonly matcher: UnifiedMatcherIR }

/** `xds.type.matcher.v3.Matcher`: a matcher list or a match tree, and on_no_match. */
export type UnifiedMatcherIR = (
  | { readonly kind: 'list'; readonly matchers: readonly { readonly predicate: MatchPredicateIR; readonly onMatch: OnMatchIR }[] }
  | { readonly kind: 'exact_map' | 'prefix_map'; readonly input: MatchInputIR; readonly map: Readonly<Record<string, OnMatchIR>> }
) & { readonly onNoMatch?: OnMatchIR }

export interface RbacIR {
  readonly rules?: RbacRulesIR
  readonly shadowRules?: RbacRulesIR
  /** RBAC `matcher` (the unified matcher API); when set, `rules` are ignored, as in Envoy. */
  readonly matcher?: UnifiedMatcherIR
  readonly shadowMatcher?: UnifiedMatcherIR
  readonly rulesStatPrefix: string
  readonly shadowRulesStatPrefix: string
}

export interface JwtProviderIR {
  readonly name: string
  readonly issuer?: string
  readonly audiences?: readonly string[]
  /** Inline JWKS text. */
  readonly localJwks?: string
  readonly remoteJwks?: { readonly uri: string; readonly cluster?: string; readonly timeoutMs: number; readonly cacheDurationMs: number }
  /** Where tokens are looked for; Envoy's default is Authorization: Bearer and ?access_token. */
  readonly fromHeaders: readonly { readonly name: string; readonly valuePrefix: string }[]
  readonly fromParams: readonly string[]
  readonly fromCookies: readonly string[]
  readonly forward: boolean
  readonly forwardPayloadHeader?: string
  readonly padForwardPayloadHeader?: true
  readonly payloadInMetadata?: string
  readonly clockSkewSeconds: number
  /** `claim_name` (nested by ".") or `claim_path` (keys that may contain "."): exactly one is set. */
  readonly claimToHeaders?: readonly { readonly headerName: string; readonly claimName?: string; readonly claimPath?: readonly string[] }[]
}

export type JwtRequirementIR =
  | { readonly kind: 'provider'; readonly provider: string; readonly audiences?: readonly string[] }
  | { readonly kind: 'requires_any' | 'requires_all'; readonly requirements: readonly JwtRequirementIR[] }
  | { readonly kind: 'allow_missing' | 'allow_missing_or_failed' | 'none' }

export interface JwtAuthnIR {
  readonly providers: readonly JwtProviderIR[]
  /** `requirement_name` already resolved through requirement_map. */
  readonly rules: readonly { readonly match: RouteMatchIR; readonly requires?: JwtRequirementIR }[]
  readonly requirementMap?: Readonly<Record<string, JwtRequirementIR>>
  readonly bypassCorsPreflight?: true
}

export interface JwtPerRouteIR {
  readonly disabled?: true
  readonly requirementName?: string
}

/** A listener-level http filter config, by kind. */
export type HttpFilterIR = { readonly name: string; readonly typeUrl?: string; readonly isOptional?: true; readonly disabled?: true } & (
  | { readonly kind: 'router' }
  /** An optional filter edgevoy does not implement: Envoy skips it. */
  | { readonly kind: 'unknown' }
  | { readonly kind: 'cors' }
  | { readonly kind: 'fault'; readonly config: FaultIR }
  | { readonly kind: 'local_ratelimit'; readonly config: LocalRateLimitIR }
  | { readonly kind: 'cloudflare_ratelimit'; readonly config: CloudflareRateLimitIR }
  | { readonly kind: 'rbac'; readonly config: RbacIR }
  | { readonly kind: 'jwt_authn'; readonly config: JwtAuthnIR }
  | { readonly kind: 'health_check'; readonly config: HealthCheckFilterIR }
  | { readonly kind: 'csrf'; readonly config: CsrfPolicyIR }
  | { readonly kind: 'cache'; readonly config: CacheFilterIR }
  | { readonly kind: 'compressor'; readonly config: CompressorIR }
  | { readonly kind: 'decompressor'; readonly config: DecompressorIR }
  | { readonly kind: 'header_mutation'; readonly config: HeaderMutationFilterIR }
  | { readonly kind: 'header_to_metadata'; readonly config: HeaderToMetadataIR }
  /** `OAuth2` without `config`: the filter is installed and does nothing (Envoy installs no filter). */
  | { readonly kind: 'oauth2'; readonly config: OAuth2IR | undefined }
)

export type HttpFilterKind = HttpFilterIR['kind']

/** A per-route config, tagged with the filter kind it belongs to. */
export type PerRouteFilterConfigIR =
  | { readonly kind: 'cors'; readonly config: CorsPolicyIR }
  | { readonly kind: 'fault'; readonly config: FaultIR }
  | { readonly kind: 'local_ratelimit'; readonly config: LocalRateLimitIR }
  | { readonly kind: 'cloudflare_ratelimit'; readonly config: CloudflareRateLimitIR }
  /** RBACPerRoute: `rbac` absent means no rules apply on this route. */
  | { readonly kind: 'rbac'; readonly config: RbacIR | undefined }
  | { readonly kind: 'jwt_authn'; readonly config: JwtPerRouteIR }
  | { readonly kind: 'csrf'; readonly config: CsrfPolicyIR }
  | { readonly kind: 'header_mutation'; readonly config: HeaderMutationFilterIR }
  | { readonly kind: 'header_to_metadata'; readonly config: HeaderToMetadataIR }

/** `envoy.filters.http.health_check`: requests matching every header matcher are health checks. */
export interface HealthCheckFilterIR {
  readonly passThrough: boolean
  readonly headers: readonly HeaderMatcherIR[]
}

/** `envoy.filters.http.csrf` CsrfPolicy. */
export interface CsrfPolicyIR {
  readonly filterEnabled?: FractionIR
  readonly shadowEnabled?: FractionIR
  readonly additionalOrigins: readonly StringMatcherIR[]
}

/** `envoy.filters.http.compressor`, response direction (the only one edgevoy compresses). */
export interface CompressorIR {
  /** Content-Encoding token of the library: only `gzip` is compressed (CompressionStream). */
  readonly encoding: string
  /** `<library name>.<encoding>.`, the stats prefix Envoy uses. */
  readonly statPrefix: string
  readonly enabled: boolean
  readonly minContentLength: number
  /** Lower-case media types. */
  readonly contentTypes: readonly string[]
  readonly disableOnEtag: boolean
  readonly removeAcceptEncoding: boolean
}

/** `envoy.filters.http.decompressor`. */
export interface DecompressorIR {
  readonly encoding: string
  readonly statPrefix: string
  readonly request: { readonly enabled: boolean; readonly ignoreNoTransform: boolean; readonly advertiseAcceptEncoding: boolean }
  readonly response: { readonly enabled: boolean; readonly ignoreNoTransform: boolean }
}

/** One `header_mutation` entry: exactly one of remove, append, remove_on_match. */
export type HeaderMutationStepIR =
  | { readonly kind: 'remove'; readonly name: string }
  | { readonly kind: 'append'; readonly mutation: HeaderMutationIR }
  | { readonly kind: 'remove_on_match'; readonly keyMatcher: StringMatcherIR }

/** `envoy.filters.http.header_mutation` (and HeaderMutationPerRoute). */
export interface HeaderMutationFilterIR {
  readonly request: readonly HeaderMutationStepIR[]
  readonly response: readonly HeaderMutationStepIR[]
}

/** A `header_to_metadata` KeyValuePair. */
export interface MetadataKeyValueIR {
  readonly namespace: string
  readonly key: string
  readonly value?: string
  readonly type: 'STRING' | 'NUMBER'
  readonly base64: boolean
}

/** `envoy.filters.http.header_to_metadata` rules. */
export interface HeaderToMetadataIR {
  readonly requestRules: readonly {
    /** Lower-case header name, or a cookie name. */
    readonly header?: string
    readonly cookie?: string
    readonly onPresent?: MetadataKeyValueIR
    readonly onMissing?: MetadataKeyValueIR
    readonly remove: boolean
  }[]
  /** Response headers the response rules remove (their metadata has no reader). */
  readonly responseRemove: readonly string[]
}

// --- observability -----------------------------------------------------------

/** An access-log format string, parsed: literal text and `%OP(arg):max%` operators. */
export type LogFormatPartIR = string | { readonly op: string; readonly arg?: string; readonly max?: number }

export type JsonFieldIR =
  | { readonly key: string; readonly format: readonly LogFormatPartIR[] }
  | { readonly key: string; readonly nested: readonly JsonFieldIR[] }
  | { readonly key: string; readonly literal: number | boolean | null }

export interface AccessLogIR {
  readonly sink: 'stdout' | 'stderr'
  readonly omitEmpty?: true
  readonly text?: readonly LogFormatPartIR[]
  readonly json?: readonly JsonFieldIR[]
}

export interface ZipkinIR {
  readonly collectorCluster: string
  readonly collectorEndpoint: string
  readonly collectorHostname?: string
  readonly traceId128bit: boolean
}

export interface TracingIR {
  /** Percent of requests sampled when the caller made no decision (default 100). */
  readonly randomSampling: number
  readonly zipkin?: ZipkinIR
  readonly operationName: string
  readonly tags: Readonly<Record<string, string>>
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

export interface ListenerIR {
  readonly name: string
  readonly address: string
  readonly port: number
  readonly statPrefix: string
  readonly routeTable: RouteTableIR
  readonly httpFilters: readonly HttpFilterIR[]
  readonly accessLogs?: readonly AccessLogIR[]
  readonly tracing?: TracingIR
  readonly generateRequestId: boolean
  readonly downstream: DownstreamPolicy
  /** HCM `stream_idle_timeout` in ms; absent: DEFAULT_STREAM_IDLE_TIMEOUT_MS; 0 disables it. */
  readonly streamIdleTimeoutMs?: number
  /** HCM `request_timeout` in ms; absent: 0 (off). */
  readonly requestTimeoutMs?: number
  /** HCM `common_http_protocol_options.max_stream_duration` in ms; absent: 0 (none). */
  readonly maxStreamDurationMs?: number
  /** HCM `upgrade_configs`; absent: no upgrade is allowed (Envoy answers 403). */
  readonly upgrades?: UpgradeMapIR
}

// --- clusters ----------------------------------------------------------------

export type HostHealthStatusIR = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED'

export interface HostIR {
  readonly address: string
  readonly hostname: string
  readonly port: number
  readonly origin: string
  /** Absent: 1. */
  readonly weight?: number
  /** Absent: 0. */
  readonly priority?: number
  /** Absent: no locality. */
  readonly locality?: Readonly<{ region?: string; zone?: string; subZone?: string }>
  readonly localityWeight?: number
  /** Absent: UNKNOWN. */
  readonly configuredHealth?: HostHealthStatusIR
  readonly binding?: string
  /** The endpoint's `metadata.filter_metadata` as written (Envoy's opaque Struct). */
  readonly metadata?: Readonly<Record<string, unknown>>
}

export interface HealthCheckIR {
  readonly path: string
  readonly host?: string
  readonly method: string
  readonly intervalMs: number
  readonly timeoutMs: number
  readonly intervalJitterMs: number
  readonly intervalJitterPercent: number
  readonly noTrafficIntervalMs: number
  readonly unhealthyIntervalMs: number
  readonly unhealthyThreshold: number
  readonly healthyThreshold: number
  readonly expectedStatuses: readonly (readonly [number, number])[]
  /** `service_name_matcher`: the answer's x-envoy-upstream-healthchecked-cluster must match it. Absent: not checked. */
  readonly serviceName?: StringMatcherIR
}

export interface OutlierIR {
  readonly consecutive5xx: number
  readonly consecutiveGatewayFailure: number
  readonly consecutiveLocalOriginFailure: number
  readonly intervalMs: number
  readonly baseEjectionTimeMs: number
  readonly maxEjectionTimeMs: number
  readonly maxEjectionPercent: number
  readonly enforcing5xx: number
  readonly enforcingGatewayFailure: number
  readonly enforcingLocalOriginFailure: number
  readonly splitExternalLocalOriginErrors: boolean
  readonly successfulActiveHealthCheckUnejectHost: boolean
  readonly alwaysEjectOneHost: boolean
}

export interface CircuitBreakerIR {
  readonly maxPendingRequests: number
  readonly maxRequests: number
  readonly maxRetries: number
  readonly retryBudget?: { readonly budgetPercent: number; readonly minRetryConcurrency: number }
}

export interface ClusterLbIR {
  readonly leastRequest: { readonly choiceCount: number; readonly activeRequestBias: number }
  readonly ringHash: { readonly minimumRingSize: number; readonly maximumRingSize: number }
  readonly maglevTableSize: number
  readonly localityWeighted: boolean
  /** `metadata.filter_metadata.edgevoy.colo_regions`, upper-cased keys. */
  readonly coloRegions?: { readonly colos: Readonly<Record<string, readonly string[]>>; readonly continents: Readonly<Record<string, readonly string[]>> }
}

export interface ClusterIR {
  readonly name: string
  readonly type: string
  readonly lbPolicy: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'MAGLEV' | 'CLUSTER_PROVIDED'
  readonly hosts: readonly HostIR[]
  readonly connectTimeoutMs: number
  readonly tls: boolean
  readonly healthChecks?: readonly HealthCheckIR[]
  readonly outlier?: OutlierIR
  /** Absent: Envoy's defaults (DEFAULT_CIRCUIT_BREAKERS). */
  readonly circuitBreakers?: CircuitBreakerIR
  /** Percent; absent: 50. */
  readonly healthyPanicThreshold?: number
  /** A multiplier; absent: 1.4. */
  readonly overprovisioningFactor?: number
  /** Absent: DEFAULT_CLUSTER_LB. */
  readonly lb?: ClusterLbIR
  readonly hash: string
}

export interface SnapshotIR {
  readonly version: string
  readonly hash: string
  readonly createdAt: number
  readonly listeners: readonly ListenerIR[]
  readonly clusters: readonly ClusterIR[]
  /** Distinct retry policies; forward actions refer to them by index. */
  readonly retryPolicies?: readonly RetryPolicyIR[]
  readonly serviceCluster?: string
}

// --- defaults shared by the compiler and the data plane ----------------------

/** Envoy's ring maximum is 8M entries; this cap keeps a ring build bounded in an isolate. */
export const RING_HASH_LIMIT = 1 << 20
export const MAGLEV_DEFAULT_TABLE_SIZE = 65537

/** Envoy's circuit breaker thresholds for the DEFAULT priority. */
export const DEFAULT_CIRCUIT_BREAKERS: CircuitBreakerIR = Object.freeze({ maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 })
export const DEFAULT_HEALTHY_PANIC_THRESHOLD = 50
export const DEFAULT_OVERPROVISIONING_FACTOR = 1.4

/** A cluster's load-balancer settings when nothing is configured (Envoy's defaults). */
export const DEFAULT_CLUSTER_LB: ClusterLbIR = Object.freeze({
  leastRequest: Object.freeze({ choiceCount: 2, activeRequestBias: 1 }),
  ringHash: Object.freeze({ minimumRingSize: 1024, maximumRingSize: RING_HASH_LIMIT }),
  maglevTableSize: MAGLEV_DEFAULT_TABLE_SIZE,
  localityWeighted: false,
})

/** Envoy's default HCM stream_idle_timeout: 5 minutes (docs/root/faq/configuration/timeouts.rst). */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000

/** Envoy's default route timeout. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000
/** How much of a request body is buffered for retries when no per_request_buffer_limit_bytes says otherwise. */
export const DEFAULT_BUFFER_LIMIT_BYTES = 1024 * 1024

/** An SDS secret by name, with its inline `static_resources.secrets` value when the config has one. */
export interface OAuth2SecretIR {
  readonly name: string
  /** Absent: read at request time from the Worker secret (env binding) of this name. */
  readonly inline?: string
}

/** The cookies the oauth2 filter reads and writes (CookieNames / CookieConfigs). */
export type OAuth2CookieKind = 'bearerToken' | 'oauthHmac' | 'oauthExpires' | 'idToken' | 'refreshToken' | 'oauthNonce' | 'codeVerifier'

/** `envoy.filters.http.oauth2` OAuth2Config, with Envoy's defaults applied (filter.cc FilterConfig). */
export interface OAuth2IR {
  readonly tokenEndpoint: { readonly cluster: string; readonly uri: string; readonly timeoutMs: number }
  readonly authorizationEndpoint: string
  readonly clientId: string
  readonly tokenSecret: OAuth2SecretIR
  readonly hmacSecret: OAuth2SecretIR
  /** redirect_uri with its command operators parsed (`%REQ(:authority)%`). */
  readonly redirectUri: readonly HeaderFormatPartIR[]
  readonly redirectPathMatcher: StringMatcherIR
  readonly signoutPath: StringMatcherIR
  readonly forwardBearerToken: boolean
  readonly preserveAuthorizationHeader: boolean
  readonly passThroughMatchers: readonly HeaderMatcherIR[]
  readonly denyRedirectMatchers: readonly HeaderMatcherIR[]
  /** auth_scopes, default ["user"]. */
  readonly scopes: readonly string[]
  readonly resources: readonly string[]
  readonly authType: 'URL_ENCODED_BODY' | 'BASIC_AUTH'
  readonly useRefreshToken: boolean
  /** Seconds; 0: the token endpoint must say expires_in. */
  readonly defaultExpiresInS: number
  readonly defaultRefreshTokenExpiresInS: number
  readonly csrfTokenExpiresInS: number
  readonly codeVerifierExpiresInS: number
  readonly cookieNames: { readonly [K in OAuth2CookieKind]: string }
  /** SameSite per cookie; absent: DISABLED (no attribute). */
  readonly sameSite: { readonly [K in OAuth2CookieKind]?: 'STRICT' | 'LAX' | 'NONE' }
  readonly cookieDomain?: string
  readonly disableAccessTokenCookie: boolean
  readonly disableIdTokenCookie: boolean
  readonly disableRefreshTokenCookie: boolean
}

/**
 * `envoy.filters.http.cache` CacheConfig, run on the Workers Cache API.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/cache/v3/cache.proto
 */
export interface CacheFilterIR {
  /** CacheConfig.disabled: the filter is a no-op. */
  readonly disabled: boolean
  readonly allowedVaryHeaders: readonly StringMatcherIR[]
  readonly excludeScheme: boolean
  readonly excludeHost: boolean
  readonly queryParametersIncluded: readonly QueryMatcherIR[]
  readonly queryParametersExcluded: readonly QueryMatcherIR[]
  /** Bodies longer than this are not stored; 0: no limit of the filter's own. */
  readonly maxBodyBytes: number
  readonly ignoreRequestCacheControl: boolean
  /** The storage's name with `.` as `_`: the `cache_label` of Envoy's cache stats (stats.cc). */
  readonly statLabel: string
}

// --- the serialized form's route tables (revision 9 on) ----------------------

/**
 * A virtual host's routes as the serialized snapshot writes them: one column
 * per field, entry `i` belongs to route `i`. Parsing and linking 10,000
 * route objects (each with a match, a path and a name) was most of what a
 * large snapshot cost to load; arrays of small integers and one string per
 * route cost a fraction. What many routes share — actions, header/query/cookie
 * matcher lists, regexes, header mutations, CORS and per-filter overrides —
 * is written once in the envelope's pools and named by index.
 */
export interface RouteColumnsIR {
  /** PathMatchIR.value. */
  readonly path: readonly string[]
  /**
   * Bits 0–1: the path kind (ROUTE_PATH_KINDS); bit 2: case-insensitive
   * (`caseSensitive: false`); bit 3: `honoFoldCase`.
   */
  readonly flags: readonly number[]
  /** Index into the envelope's `actions`. */
  readonly action: readonly number[]
  /** Absent: every route is unnamed (`#i`). An entry 0: this one is. */
  readonly name?: readonly (string | 0)[]
  /**
   * The Hono pattern: 0 derived from kind and value (routePattern), null none,
   * else the pattern. Absent: every pattern is derived.
   */
  readonly pattern?: readonly (string | 0 | null)[]
  /** 1 + index into `regexes` (a safe_regex path's regex); 0 none. Absent: none. */
  readonly regex?: readonly number[]
  /** 1 + index into `matches` (headers, query parameters, cookies, runtime fraction); 0 none. Absent: none. */
  readonly match?: readonly number[]
  /** 1 + index into `extras` (header mutations, CORS, per-filter overrides); 0 none. Absent: none. */
  readonly extras?: readonly number[]
}

/** ROUTE_PATH_KINDS[flags & 3] is a route's path kind. */
export const ROUTE_PATH_KINDS: readonly PathMatchIR['kind'][] = Object.freeze(['prefix', 'path', 'safe_regex', 'path_separated_prefix'])

/** What a route's match holds besides its path. */
export type RouteMatchExtrasIR = Omit<RouteMatchIR, 'path'>
/** What a route holds besides its name, match and action. */
export type RouteExtrasIR = Pick<RouteIR, 'requestHeaders' | 'responseHeaders' | 'cors' | 'filterOverrides'>

export type EncodedVirtualHostIR = Omit<VirtualHostIR, 'routes'> & { readonly routes: RouteColumnsIR }
export type EncodedRouteTableIR = Omit<RouteTableIR, 'virtualHosts'> & { readonly virtualHosts: readonly EncodedVirtualHostIR[] }
export type EncodedListenerIR = Omit<ListenerIR, 'routeTable'> & { readonly routeTable: EncodedRouteTableIR }
export type EncodedSnapshotIR = Omit<SnapshotIR, 'listeners'> & { readonly listeners: readonly EncodedListenerIR[] }

/** The pools route columns name by index: each distinct value once. */
export interface RoutePoolsIR {
  readonly actions: readonly RouteActionIR[]
  readonly regexes?: readonly RegexIR[]
  readonly matches?: readonly RouteMatchExtrasIR[]
  readonly extras?: readonly RouteExtrasIR[]
}
