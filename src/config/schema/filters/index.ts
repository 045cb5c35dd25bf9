/**
 * The HTTP filters edgevoy implements, by Envoy name: the schema of the
 * listener-level config and of the per-route (`typed_per_filter_config`)
 * config. `httpFilter` in ../listener.ts validates each entry against these.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/http_filters
 */
import { z } from 'zod'
import { envoyObject } from '../envoy-object.js'
import { cacheFilter } from './cache.js'
import { compressorFilter, decompressorFilter } from './compressor.js'
import { corsFilter, corsPolicy } from './cors.js'
import { csrfPolicy } from './csrf.js'
import { httpFault } from './fault.js'
import { healthCheckFilter } from './health-check.js'
import { headerMutationFilter, headerMutationPerRoute } from './header-mutation.js'
import { headerToMetadataFilter } from './header-to-metadata.js'
import { jwtAuthentication, jwtPerRoute } from './jwt-authn.js'
import { oauth2Filter } from './oauth2.js'
import { cloudflareRateLimit, localRateLimit } from './local-ratelimit.js'
import { rbacFilter, rbacPerRoute } from './rbac.js'

export interface HttpFilterSchema {
  readonly config: z.ZodType
  /** undefined: the filter takes no per-route config (only FilterConfig{disabled}). */
  readonly perRoute: z.ZodType | undefined
}

const router = envoyObject(
  { '@type': z.string().optional() },
  { ignored: ['dynamic_stats', 'start_child_span', 'upstream_log', 'upstream_log_options', 'suppress_envoy_headers', 'strict_check_headers', 'respect_expected_rq_timeout', 'suppress_grpc_request_failure_code_stats', 'upstream_http_filters'] },
)

export const HTTP_FILTER_SCHEMAS: Readonly<Record<string, HttpFilterSchema>> = {
  'envoy.filters.http.router': { config: router, perRoute: undefined },
  'envoy.filters.http.cors': { config: corsFilter, perRoute: corsPolicy },
  'envoy.filters.http.fault': { config: httpFault, perRoute: httpFault },
  'envoy.filters.http.local_ratelimit': { config: localRateLimit, perRoute: localRateLimit },
  'envoy.filters.http.jwt_authn': { config: jwtAuthentication, perRoute: jwtPerRoute },
  'envoy.filters.http.rbac': { config: rbacFilter, perRoute: rbacPerRoute },
  'edgevoy.filters.http.cloudflare_ratelimit': { config: cloudflareRateLimit, perRoute: cloudflareRateLimit },
  'envoy.filters.http.health_check': { config: healthCheckFilter, perRoute: undefined },
  'envoy.filters.http.csrf': { config: csrfPolicy, perRoute: csrfPolicy },
  'envoy.filters.http.cache': { config: cacheFilter, perRoute: undefined },
  'envoy.filters.http.compressor': { config: compressorFilter, perRoute: undefined },
  'envoy.filters.http.decompressor': { config: decompressorFilter, perRoute: undefined },
  'envoy.filters.http.header_mutation': { config: headerMutationFilter, perRoute: headerMutationPerRoute },
  'envoy.filters.http.header_to_metadata': { config: headerToMetadataFilter, perRoute: headerToMetadataFilter },
  'envoy.filters.http.oauth2': { config: oauth2Filter, perRoute: undefined },
}

/** Filters are found by name, or by their `@type` when the name is a custom one (as Envoy does). */
export const HTTP_FILTER_TYPE_NAMES: Readonly<Record<string, string>> = {
  'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router': 'envoy.filters.http.router',
  'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors': 'envoy.filters.http.cors',
  'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault': 'envoy.filters.http.fault',
  'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit': 'envoy.filters.http.local_ratelimit',
  'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication': 'envoy.filters.http.jwt_authn',
  'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC': 'envoy.filters.http.rbac',
  'type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck': 'envoy.filters.http.health_check',
  'type.googleapis.com/envoy.extensions.filters.http.csrf.v3.CsrfPolicy': 'envoy.filters.http.csrf',
  'type.googleapis.com/envoy.extensions.filters.http.cache.v3.CacheConfig': 'envoy.filters.http.cache',
  'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor': 'envoy.filters.http.compressor',
  'type.googleapis.com/envoy.extensions.filters.http.decompressor.v3.Decompressor': 'envoy.filters.http.decompressor',
  'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation': 'envoy.filters.http.header_mutation',
  'type.googleapis.com/envoy.extensions.filters.http.header_to_metadata.v3.Config': 'envoy.filters.http.header_to_metadata',
  'type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2': 'envoy.filters.http.oauth2',
}

/** The implemented filter an `http_filters` entry refers to, or undefined. */
export function knownFilterName(name: string, typeUrl: string | undefined): string | undefined {
  if (name in HTTP_FILTER_SCHEMAS) return name
  return typeUrl !== undefined ? HTTP_FILTER_TYPE_NAMES[typeUrl] : undefined
}
