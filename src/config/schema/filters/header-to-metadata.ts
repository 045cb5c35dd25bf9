/**
 * `extensions.filters.http.header_to_metadata.v3.Config` (listener and per route).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/header_to_metadata/v3/header_to_metadata.proto
 */
import { z } from 'zod'
import { envoyEnum, envoyObject } from '../envoy-object.js'
import { warnWhen } from './warn.js'

const keyValuePair = envoyObject(
  {
    metadata_namespace: z.string().optional(),
    key: z.string().min(1),
    value: z.string().optional(),
    // PROTOBUF_VALUE (a serialized protobuf Value) is not decoded by edgevoy: rejected by the enum.
    type: envoyEnum(['STRING', 'NUMBER']).optional(),
    encode: envoyEnum(['NONE', 'BASE64']).optional(),
  },
  { unsupported: { regex_value_rewrite: 'not implemented by edgevoy: the header value would be stored unrewritten' } },
)

const rule = envoyObject({
  header: z.string().min(1).optional(),
  cookie: z.string().min(1).optional(),
  on_header_present: keyValuePair.optional(),
  on_header_missing: keyValuePair.optional(),
  remove: z.boolean().optional(),
})
export type HeaderToMetadataRule = z.output<typeof rule>

export const headerToMetadataFilter = warnWhen(
  envoyObject({
    '@type': z.string().optional(),
    request_rules: z.array(rule).optional(),
    response_rules: z.array(rule).optional(),
    stat_prefix: z.string().optional(),
  }, { notApplied: { stat_prefix: 'the filter keeps no counters of its own in edgevoy' } }),
  (c) => (c.response_rules?.length ? 'response_rules: metadata set from response headers has no reader in edgevoy (no access log or later filter reads it); only their `remove` is applied' : undefined),
)
export type HeaderToMetadataConfig = z.output<typeof headerToMetadataFilter>
