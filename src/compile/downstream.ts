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
    useRemoteAddress: hcm.use_remote_address === true,
    xffNumTrustedHops: hcm.xff_num_trusted_hops ?? 0,
    skipXffAppend: hcm.skip_xff_append === true,
    generateRequestId: hcm.generate_request_id !== false,
    preserveExternalRequestId: hcm.preserve_external_request_id === true,
  }
}
