/**
 * The cluster's resilience settings: active `health_checks`, passive
 * `outlier_detection`, `circuit_breakers`, and `common_lb_config`'s panic threshold.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/health_check.proto
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/outlier_detection.proto
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/circuit_breaker.proto
 */
import { z } from 'zod'
import { duration, envoyEnum, envoyObject, opaque, uint32, wrapped } from './envoy-object.js'
import { stringMatcher } from './matchers.js'

/** `type.v3.Percent` ({ value: 50.0 }) or a bare number. */
const percent = z
  .union([z.number(), z.object({ value: z.number().optional() })])
  .transform((p) => (typeof p === 'number' ? p : (p.value ?? 0)))
  .pipe(z.number().min(0).max(100))

const int64Range = envoyObject({ start: z.coerce.number().int(), end: z.coerce.number().int() })

const httpHealthCheck = envoyObject(
  {
    host: z.string().optional(),
    path: z.string().min(1),
    expected_statuses: z.array(int64Range).optional(),
    retriable_statuses: z.array(int64Range).optional(),
    request_headers_to_add: z.array(opaque).optional(),
    request_headers_to_remove: z.array(z.string()).optional(),
    method: envoyEnum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH'], { caseInsensitive: true }).optional(),
    // The answer's x-envoy-upstream-healthchecked-cluster must match, or the check fails (v2: service_name, a prefix).
    service_name_matcher: stringMatcher.optional(),
  },
  {
    notApplied: {
      retriable_statuses: 'every unexpected status counts as a failure (no retriable statuses)',
      request_headers_to_add: 'health check requests carry no extra headers',
      request_headers_to_remove: 'health check requests carry no extra headers',
    },
    ignored: ['send', 'receive', 'response_buffer_size', 'codec_client_type', 'use_http2'],
    notes: { codec_client_type: 'Workers fetch() picks the protocol' },
  },
)

export const healthCheck = envoyObject(
  {
    timeout: duration,
    interval: duration,
    initial_jitter: duration.optional(),
    interval_jitter: duration.optional(),
    interval_jitter_percent: uint32.optional(),
    unhealthy_threshold: wrapped(uint32),
    healthy_threshold: wrapped(uint32),
    no_traffic_interval: duration.optional(),
    no_traffic_healthy_interval: duration.optional(),
    unhealthy_interval: duration.optional(),
    unhealthy_edge_interval: duration.optional(),
    healthy_edge_interval: duration.optional(),
    http_health_check: httpHealthCheck.optional(),
  },
  {
    notApplied: {
      initial_jitter: 'the first check runs at the first interval',
      no_traffic_healthy_interval: 'no_traffic_interval applies whatever the host\'s health',
      unhealthy_edge_interval: 'unhealthy_interval (else interval) applies after a transition too',
      healthy_edge_interval: 'interval applies after a transition too',
    },
    ignored: ['reuse_connection', 'event_log_path', 'event_logger', 'always_log_health_check_failures', 'always_log_health_check_success', 'tls_options', 'transport_socket_match_criteria', 'alt_port', 'event_service'],
    unsupported: {
      tcp_health_check: 'a Worker cannot open raw TCP health checks: use http_health_check',
      grpc_health_check: 'gRPC health checks are not implemented: use http_health_check',
      custom_health_check: 'custom health checkers are not implemented',
    },
  },
).superRefine((h, ctx) => {
  if (h.http_health_check === undefined)
    ctx.addIssue({ code: 'custom', path: ['http_health_check'], message: 'a health check needs http_health_check (the only kind edgevoy runs)', params: { kind: 'unsupported_field' } })
})
export type HealthCheckConfig = z.output<typeof healthCheck>

export const outlierDetection = envoyObject(
  {
    consecutive_5xx: wrapped(uint32).optional(),
    consecutive_gateway_failure: wrapped(uint32).optional(),
    consecutive_local_origin_failure: wrapped(uint32).optional(),
    interval: duration.optional(),
    base_ejection_time: duration.optional(),
    max_ejection_time: duration.optional(),
    max_ejection_percent: wrapped(uint32.pipe(z.number().max(100))).optional(),
    enforcing_consecutive_5xx: wrapped(uint32.pipe(z.number().max(100))).optional(),
    enforcing_consecutive_gateway_failure: wrapped(uint32.pipe(z.number().max(100))).optional(),
    enforcing_consecutive_local_origin_failure: wrapped(uint32.pipe(z.number().max(100))).optional(),
    split_external_local_origin_errors: z.boolean().optional(),
    successful_active_health_check_uneject_host: wrapped(z.boolean()).optional(),
    always_eject_one_host: wrapped(z.boolean()).optional(),
  },
  {
    ignored: [
      'enforcing_success_rate', 'success_rate_minimum_hosts', 'success_rate_request_volume', 'success_rate_stdev_factor',
      'enforcing_local_origin_success_rate', 'failure_percentage_threshold', 'enforcing_failure_percentage',
      'enforcing_failure_percentage_local_origin', 'failure_percentage_minimum_hosts', 'failure_percentage_request_volume',
      'max_ejection_time_jitter', 'monitors', 'detect_degraded_hosts',
    ],
    notes: { enforcing_success_rate: 'success-rate and failure-percentage ejection are not implemented (consecutive errors are)' },
  },
)
export type OutlierDetectionConfig = z.output<typeof outlierDetection>

const retryBudget = envoyObject({ budget_percent: percent.optional(), min_retry_concurrency: wrapped(uint32).optional() })

const thresholds = envoyObject(
  {
    priority: envoyEnum(['DEFAULT', 'HIGH'], { caseInsensitive: true }).optional(),
    max_connections: wrapped(uint32).optional(),
    max_pending_requests: wrapped(uint32).optional(),
    max_requests: wrapped(uint32).optional(),
    max_retries: wrapped(uint32).optional(),
    retry_budget: retryBudget.optional(),
  },
  { ignored: ['track_remaining', 'max_connection_pools'], notApplied: { max_connections: 'Workers fetch() owns upstream connections' } },
)

export const circuitBreakers = envoyObject({ thresholds: z.array(thresholds).optional() }, { ignored: ['per_host_thresholds'] })
export type CircuitBreakersConfig = z.output<typeof circuitBreakers>

export const commonLbConfig = envoyObject(
  { healthy_panic_threshold: percent.optional(), locality_weighted_lb_config: envoyObject({}).optional() },
  {
    ignored: ['zone_aware_lb_config', 'update_merge_window', 'ignore_new_hosts_until_first_hc', 'close_connections_on_host_set_change', 'consistent_hashing_lb_config', 'override_host_status'],
  },
)
export type CommonLbConfig = z.output<typeof commonLbConfig>
