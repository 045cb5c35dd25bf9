/**
 * Lowering of the filters whose configs are plain data: health_check, csrf,
 * compressor, decompressor, header_mutation, header_to_metadata. Defaults are
 * resolved here (Envoy's, cited per field) so the filters read finished values.
 */
import { CACHE_STORAGE_TYPES, type CacheFilterConfig } from '../../config/schema/filters/cache.js'
import type { CompressorConfig, DecompressorConfig } from '../../config/schema/filters/compressor.js'
import type { CsrfPolicyConfig } from '../../config/schema/filters/csrf.js'
import type { HealthCheckConfig } from '../../config/schema/filters/health-check.js'
import type { HeaderMutationEntry, HeaderMutationFilterConfig } from '../../config/schema/filters/header-mutation.js'
import type { HeaderToMetadataConfig, HeaderToMetadataRule } from '../../config/schema/filters/header-to-metadata.js'
import { lowerHeaderMutations } from '../headers.js'
import type {
  CacheFilterIR, CompressorIR, CsrfPolicyIR, DecompressorIR, HeaderMutationFilterIR, HeaderMutationStepIR, HeaderToMetadataIR, HealthCheckFilterIR, MetadataKeyValueIR,
} from '../ir.js'
import { lowerHeaderMatcher, lowerQueryMatcher } from '../match.js'
import { lowerStringMatcher } from '../strings.js'
import { optionalFraction } from './common.js'

export function lowerHealthCheck(c: HealthCheckConfig): HealthCheckFilterIR {
  return { passThrough: c.pass_through_mode === true, headers: (c.headers ?? []).map(lowerHeaderMatcher) }
}

export function lowerCsrf(c: CsrfPolicyConfig): CsrfPolicyIR {
  return {
    ...optionalFraction('filterEnabled', c.filter_enabled.default_value),
    ...optionalFraction('shadowEnabled', c.shadow_enabled?.default_value),
    additionalOrigins: (c.additional_origins ?? []).map(lowerStringMatcher),
  }
}

/** Envoy's default `content_type` list (compressor_filter.cc defaultContentEncoding types). */
const DEFAULT_TYPES = ['application/javascript', 'application/json', 'application/xhtml+xml', 'image/svg+xml', 'text/css', 'text/html', 'text/plain', 'text/xml']
/** compressor.proto CommonDirectionConfig.min_content_length: "Defaults to 30". */
const DEFAULT_MIN_LENGTH = 30

export function lowerCompressor(c: CompressorConfig): CompressorIR {
  const common = c.response_direction_config?.common_config
  return {
    encoding: c.library.encoding,
    statPrefix: `${c.library.name}.${c.library.encoding}.`,
    // The deprecated top-level fields are the response direction's, used only when the new ones are absent.
    enabled: common?.enabled?.default_value ?? c.runtime_enabled?.default_value ?? true,
    minContentLength: common?.min_content_length ?? c.content_length ?? DEFAULT_MIN_LENGTH,
    contentTypes: (common?.content_type ?? c.content_type ?? DEFAULT_TYPES).map((t) => t.toLowerCase()),
    disableOnEtag: c.response_direction_config?.disable_on_etag_header ?? c.disable_on_etag_header ?? false,
    removeAcceptEncoding: c.response_direction_config?.remove_accept_encoding_header ?? c.remove_accept_encoding_header ?? false,
  }
}

export function lowerDecompressor(c: DecompressorConfig): DecompressorIR {
  const encoding = c.library.encoding
  const req = c.request_direction_config
  const res = c.response_direction_config
  // Only gzip can be decoded (DecompressionStream); other libraries pass bodies unchanged (validate warns).
  const requestOn = encoding === 'gzip' && (req?.common_config?.enabled?.default_value ?? true)
  return {
    encoding,
    statPrefix: `${c.library.name}.${encoding}.`,
    request: {
      enabled: requestOn,
      ignoreNoTransform: req?.common_config?.ignore_no_transform_header === true,
      // decompressor.proto RequestDirectionConfig.advertise_accept_encoding: "Defaults to true".
      advertiseAcceptEncoding: requestOn && (req?.advertise_accept_encoding ?? true),
    },
    response: {
      enabled: encoding === 'gzip' && (res?.common_config?.enabled?.default_value ?? true),
      ignoreNoTransform: res?.common_config?.ignore_no_transform_header === true,
    },
  }
}

function lowerMutationStep(m: HeaderMutationEntry): HeaderMutationStepIR {
  if (m.remove !== undefined) return { kind: 'remove', name: m.remove.toLowerCase() }
  if (m.append) return { kind: 'append', mutation: lowerHeaderMutations({ request_headers_to_add: [m.append] }).requestHeaders ?? {} }
  return { kind: 'remove_on_match', keyMatcher: lowerStringMatcher(m.remove_on_match!.key_matcher) }
}

export function lowerHeaderMutationFilter(c: HeaderMutationFilterConfig): HeaderMutationFilterIR {
  return {
    request: (c.mutations?.request_mutations ?? []).map(lowerMutationStep),
    response: (c.mutations?.response_mutations ?? []).map(lowerMutationStep),
  }
}

const NAMESPACE = 'envoy.filters.http.header_to_metadata'

function lowerKeyValue(kv: NonNullable<HeaderToMetadataRule['on_header_present']> | undefined): MetadataKeyValueIR | undefined {
  if (!kv) return undefined
  return {
    // header_to_metadata.proto KeyValuePair.metadata_namespace: "If empty, the filter's namespace will be used."
    namespace: kv.metadata_namespace || NAMESPACE,
    key: kv.key,
    ...(kv.value !== undefined ? { value: kv.value } : {}),
    type: kv.type ?? 'STRING',
    base64: kv.encode === 'BASE64',
  }
}

export function lowerHeaderToMetadata(c: HeaderToMetadataConfig): HeaderToMetadataIR {
  return {
    requestRules: (c.request_rules ?? []).map((r) => {
      const onPresent = lowerKeyValue(r.on_header_present)
      const onMissing = lowerKeyValue(r.on_header_missing)
      return {
        ...(r.header !== undefined ? { header: r.header.toLowerCase() } : {}),
        ...(r.cookie !== undefined ? { cookie: r.cookie } : {}),
        ...(onPresent ? { onPresent } : {}),
        ...(onMissing ? { onMissing } : {}),
        remove: r.remove === true,
      }
    }),
    responseRemove: (c.response_rules ?? []).filter((r) => r.remove && r.header).map((r) => r.header!.toLowerCase()),
  }
}

/**
 * `envoy.filters.http.cache` CacheConfig. The `cache_label` of Envoy's stats
 * is the storage's name (SimpleHttpCache::cacheInfo, stats.cc: dots as `_`).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/cache/v3/cache.proto
 */
export function lowerCacheFilter(c: CacheFilterConfig): CacheFilterIR {
  const storage = CACHE_STORAGE_TYPES[c.typed_config?.['@type'] as keyof typeof CACHE_STORAGE_TYPES]
  const k = c.key_creator_params
  return {
    disabled: c.disabled === true,
    allowedVaryHeaders: (c.allowed_vary_headers ?? []).map(lowerStringMatcher),
    excludeScheme: k?.exclude_scheme === true,
    excludeHost: k?.exclude_host === true,
    queryParametersIncluded: (k?.query_parameters_included ?? []).map(lowerQueryMatcher),
    queryParametersExcluded: (k?.query_parameters_excluded ?? []).map(lowerQueryMatcher),
    // cache.proto max_body_bytes: "0 means unlimited".
    maxBodyBytes: c.max_body_bytes ?? 0,
    ignoreRequestCacheControl: c.ignore_request_cache_control_header === true,
    statLabel: storage === 'file_system' ? 'envoy_extensions_http_cache_file_system_http_cache' : 'envoy_extensions_http_cache_simple',
  }
}
