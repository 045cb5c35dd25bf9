/**
 * `config.cluster.v3.Cluster` and `config.endpoint.v3.ClusterLoadAssignment`,
 * plus the v2 `hosts:` list the article's configs use.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/cluster.proto
 */
import { z } from 'zod'
import { configSource } from './dynamic.js'
import { duration, envoyEnum, envoyObject, opaque, uint32, wrapped } from './envoy-object.js'
import { circuitBreakers, commonLbConfig, healthCheck, outlierDetection } from './health.js'
import { address } from './listener.js'

export const LB_POLICIES = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV', 'CLUSTER_PROVIDED'] as const
export const DISCOVERY_TYPES = ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'] as const
export const HEALTH_STATUSES = ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'] as const

const metadata = envoyObject(
  { filter_metadata: z.record(z.string(), opaque).optional(), typed_filter_metadata: opaque.optional() },
  { notApplied: { typed_filter_metadata: 'only filter_metadata is read' } },
)

const endpoint = envoyObject(
  {
    address: address,
    hostname: z.string().optional(),
    health_check_config: opaque.optional(),
  },
  { ignored: ['additional_addresses'], notApplied: { health_check_config: 'health checks go to the endpoint\'s own address and port' } },
)

export const lbEndpoint = envoyObject({
  endpoint: endpoint,
  health_status: envoyEnum(HEALTH_STATUSES, { caseInsensitive: true }).optional(),
  metadata: metadata.optional(),
  load_balancing_weight: wrapped(uint32.pipe(z.number().min(1))).optional(),
}, { unsupported: { endpoint_name: 'named endpoints (EDS) are not implemented' } })

export const localityLbEndpoints = envoyObject({
  locality: envoyObject({ region: z.string().optional(), zone: z.string().optional(), sub_zone: z.string().optional() }).optional(),
  lb_endpoints: z.array(lbEndpoint).default([]),
  load_balancing_weight: wrapped(uint32.pipe(z.number().min(1))).optional(),
  priority: uint32.pipe(z.number().max(128)).optional(),
  metadata: metadata.optional(),
}, { ignored: ['proximity'] })

export const clusterLoadAssignment = envoyObject({
  cluster_name: z.string().optional(),
  endpoints: z.array(localityLbEndpoints).default([]),
  policy: envoyObject(
    { overprovisioning_factor: wrapped(uint32.pipe(z.number().min(1))).optional() },
    { ignored: ['drop_overloads', 'endpoint_stale_after', 'weighted_priority_health'] },
  ).optional(),
}, { ignored: ['named_endpoints'] })

export const cluster = envoyObject(
  {
    name: z.string().min(1),
    type: envoyEnum(DISCOVERY_TYPES, { caseInsensitive: true }).optional(),
    connect_timeout: duration.optional(),
    lb_policy: envoyEnum(LB_POLICIES).optional(),
    load_assignment: clusterLoadAssignment.optional(),
    metadata: metadata.optional(),
    transport_socket: opaque.optional(),
    health_checks: z.array(healthCheck).optional(),
    outlier_detection: outlierDetection.optional(),
    circuit_breakers: circuitBreakers.optional(),
    common_lb_config: commonLbConfig.optional(),
    round_robin_lb_config: opaque.optional(),
    least_request_lb_config: opaque.optional(),
    ring_hash_lb_config: opaque.optional(),
    maglev_lb_config: opaque.optional(),
    // eds_config is checked below, only where edgevoy polls it (a cluster whose endpoints
    // a control plane already inlined may name any source, ADS included).
    eds_cluster_config: envoyObject({ eds_config: opaque.optional(), service_name: z.string().optional() }).optional(),
    per_connection_buffer_limit_bytes: wrapped(uint32).optional(),
  },
  {
    notApplied: {
      round_robin_lb_config: 'slow start (slow_start_config) is not implemented; plain round robin applies',
      per_connection_buffer_limit_bytes: 'Workers fetch() owns upstream connections and their buffers',
    },
    ignored: [
      'dns_lookup_family', 'dns_refresh_rate', 'dns_failure_refresh_rate', 'respect_dns_ttl', 'dns_resolvers', 'use_tcp_for_dns_lookups',
      'dns_resolution_config', 'typed_dns_resolver_config', 'wait_for_warm_on_init', 'http2_protocol_options', 'http_protocol_options',
      'common_http_protocol_options', 'upstream_http_protocol_options', 'typed_extension_protocol_options', 'extension_protocol_options',
      'protocol_selection', 'upstream_connection_options', 'max_requests_per_connection', 'close_connections_on_host_health_failure',
      'ignore_health_on_host_removal', 'track_cluster_stats', 'track_timeout_budgets', 'alt_stat_name', 'cleanup_interval',
      'upstream_bind_config', 'lrs_server', 'filters', 'preconnect_policy', 'connection_pool_per_downstream_connection', 'lb_subset_config',
      'original_dst_lb_config', 'load_balancing_policy', 'cluster_type', 'drain_connections_on_host_removal', 'transport_socket_matches',
      'dns_jitter', 'upstream_config',
    ],
    notes: {
      dns_lookup_family: 'Cloudflare resolves upstream names itself',
      dns_refresh_rate: 'Cloudflare resolves upstream names itself',
      http2_protocol_options: 'Workers fetch() picks the upstream protocol',
      upstream_connection_options: 'Workers fetch() owns upstream connections',
      lb_subset_config: 'subset load balancing is not implemented',
      load_balancing_policy: 'only lb_policy is read',
    },
  },
).superRefine((c, ctx) => {
  // A static EDS cluster gets its endpoints from the REST source its eds_config names (src/xds/client.ts polls it).
  if (c.type === 'EDS' && c.load_assignment === undefined) {
    const eds = c.eds_cluster_config?.eds_config
    if (eds === undefined)
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'an EDS cluster needs eds_cluster_config.eds_config (a REST api_config_source) or its endpoints in load_assignment', params: { kind: 'unsupported_field' } })
    else {
      const parsed = configSource.safeParse(eds)
      if (!parsed.success)
        for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['eds_cluster_config', 'eds_config', ...issue.path] } as Parameters<typeof ctx.addIssue>[0])
    }
  }
  if (c.type === 'ORIGINAL_DST' || c.lb_policy === 'CLUSTER_PROVIDED')
    ctx.addIssue({ code: 'custom', path: ['type'], message: 'ORIGINAL_DST clusters forward to the connection\'s original destination, which a Worker cannot see', params: { kind: 'unsupported_field' } })
})
export type ClusterConfig = z.output<typeof cluster>
