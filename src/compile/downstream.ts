/**
 * The connection manager's request-preparation settings, compiled from the
 * HCM config with Envoy's defaults.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto
 */
import type { HttpConnectionManagerConfig } from '../config/schema/listener.js'
import type { DownstreamPolicy, EscapedSlashesAction } from './types.js'

export function compileDownstreamPolicy(hcm: HttpConnectionManagerConfig): DownstreamPolicy {
  const escaped = hcm.path_with_escaped_slashes_action
  return {
    normalizePath: hcm.normalize_path === true,
    mergeSlashes: hcm.merge_slashes === true,
    // IMPLEMENTATION_SPECIFIC_DEFAULT is KEEP_UNCHANGED unless Envoy's runtime
    // overrides it (http_connection_manager.path_with_escaped_slashes_action).
    escapedSlashes: (escaped === undefined || escaped === 'IMPLEMENTATION_SPECIFIC_DEFAULT' ? 'KEEP_UNCHANGED' : escaped) satisfies EscapedSlashesAction,
    internalAddresses: internalAddresses(hcm.internal_address_config),
    useRemoteAddress: hcm.use_remote_address === true,
    xffNumTrustedHops: hcm.xff_num_trusted_hops ?? 0,
    skipXffAppend: hcm.skip_xff_append === true,
    generateRequestId: hcm.generate_request_id !== false,
    preserveExternalRequestId: hcm.preserve_external_request_id === true,
  }
}

/**
 * Envoy's Network::Utility::isInternalAddress ranges, used when
 * internal_address_config has no cidr_ranges: RFC 1918, 127.0.0.1, fd00::/8 (RFC 4193), ::1.
 */
const PRIVATE_RANGES = [
  ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['127.0.0.1', 32], ['fd00::', 8], ['::1', 128],
] as const

function internalAddresses(config: HttpConnectionManagerConfig['internal_address_config']): DownstreamPolicy['internalAddresses'] {
  if (!config) return []
  if (!config.cidr_ranges?.length) return PRIVATE_RANGES.map(([addressPrefix, prefixLen]) => ({ addressPrefix, prefixLen }))
  return config.cidr_ranges.map((r) => ({ addressPrefix: r.address_prefix, prefixLen: r.prefix_len }))
}
