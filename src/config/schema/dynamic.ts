/**
 * `config.bootstrap.v3.Bootstrap.DynamicResources`: where LDS and CDS come from.
 * edgevoy polls REST-JSON xDS v3 (an alarm in a Durable Object); gRPC and
 * delta xDS need a long-lived bidirectional stream, which a Worker cannot hold
 * open between requests, so they are errors that say so.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/config_source.proto
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
 */
import { z } from 'zod'
import { duration, envoyObject } from './envoy-object.js'

const NO_GRPC = 'Workers cannot hold gRPC streams open; use api_type: REST (REST-JSON polling) instead'

const API_TYPES = ['REST', 'GRPC', 'DELTA_GRPC', 'AGGREGATED_GRPC', 'AGGREGATED_DELTA_GRPC', 'DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE'] as const

const apiType = z.string().transform((raw, ctx) => {
  const value = raw.toUpperCase()
  if (value === 'REST') return 'REST' as const
  const known = (API_TYPES as readonly string[]).includes(value)
  ctx.addIssue({
    code: 'custom',
    message: known ? `api_type ${raw} is not supported: ${NO_GRPC}` : `invalid value "${raw}": expected REST (${NO_GRPC})`,
    params: { kind: known ? 'unsupported_field' : 'invalid_enum' },
  })
  return z.NEVER
})

const v3Only = z.string().refine((v) => v.toUpperCase() === 'V3', { message: 'only transport/resource API version V3 is served (Envoy removed v2 xDS in 1.18)' })

export const apiConfigSource = envoyObject(
  {
    api_type: apiType,
    transport_api_version: v3Only.optional(),
    /** REST: exactly one cluster (in static_resources) that reaches the control plane. */
    cluster_names: z.array(z.string().min(1)).length(1, 'REST api_config_source needs exactly one cluster_names entry'),
    // Envoy: "refresh_delay is required for REST API configuration sources".
    refresh_delay: z.unknown().refine((v) => v !== undefined, 'refresh_delay is required for REST API configuration sources').pipe(duration),
    request_timeout: duration.optional(),
  },
  {
    ignored: ['rate_limit_settings', 'set_node_on_first_message_only', 'config_validators', 'xds_config_tracker_extension'],
    unsupported: { grpc_services: NO_GRPC },
  },
)

const OTHER_SOURCES = ['ads', 'path', 'path_config_source', 'self', 'authorities'] as const

export const configSource = envoyObject(
  {
    // Optional here so that a source given another way (ads, path…) gets its own
    // "not supported" error rather than "api_config_source is missing" (checked below).
    api_config_source: apiConfigSource.optional(),
    resource_api_version: v3Only.optional(),
    initial_fetch_timeout: duration.optional(),
  },
  {
    notApplied: { initial_fetch_timeout: 'the isolate serves its last config (or answers 503) until the first fetch answers' },
    unsupported: {
      ads: `ADS is a gRPC stream: ${NO_GRPC}`,
      path: 'Workers have no filesystem to watch; serve the file over REST xDS',
      path_config_source: 'Workers have no filesystem to watch; serve the file over REST xDS',
      self: 'a REST config source must name its cluster (api_config_source.cluster_names)',
      authorities: 'xDS-TP authorities are not implemented',
    },
  },
).superRefine((source, ctx) => {
  if (source.api_config_source === undefined && !OTHER_SOURCES.some((k) => k in source))
    ctx.addIssue({ code: 'custom', path: ['api_config_source'], message: 'required field is missing (expected a mapping): edgevoy reads xDS from a REST api_config_source', params: { kind: 'missing_field' } })
})

export const dynamicResources = envoyObject(
  {
    lds_config: configSource.optional(),
    cds_config: configSource.optional(),
  },
  {
    unsupported: {
      ads_config: `ADS is a gRPC stream: ${NO_GRPC}`,
      lds_resources_locator: 'xDS-TP resource locators are not implemented',
      cds_resources_locator: 'xDS-TP resource locators are not implemented',
    },
  },
)
export type DynamicResourcesConfig = z.output<typeof dynamicResources>
