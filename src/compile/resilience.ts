/**
 * The resilience sub-configs, typed and defaulted: health checks, outlier
 * detection, circuit breakers, panic threshold and overprovisioning for a
 * cluster, and the retry policy of a route. Envoy's defaults are applied
 * here, so the request path reads camelCase values only.
 */
import type { CircuitBreakersConfig, CommonLbConfig, HealthCheckConfig, OutlierDetectionConfig } from '../config/schema/health.js'
import type { RetryPolicyConfig } from '../config/schema/retry.js'
import { DEFAULT_CIRCUIT_BREAKERS, DEFAULT_HEALTHY_PANIC_THRESHOLD, DEFAULT_OVERPROVISIONING_FACTOR, type CircuitBreakerIR, type HealthCheckIR, type OutlierIR, type RetryPolicyIR } from './ir.js'
import type { RetryPolicy } from './types.js'
import { lowerStringMatcher } from './strings.js'

export type { CircuitBreakerThresholds, ClusterResilience, HealthCheckPolicy, OutlierPolicy, RetryPolicy } from './types.js'

export type RetryOn = '5xx' | 'gateway-error' | 'reset' | 'connect-failure' | 'retriable-4xx' | 'refused-stream' | 'retriable-status-codes'

function healthCheck(h: HealthCheckConfig): HealthCheckIR {
  const http = h.http_health_check!
  return {
    path: http.path,
    ...(http.host !== undefined ? { host: http.host } : {}),
    method: http.method ?? 'GET',
    intervalMs: h.interval,
    timeoutMs: h.timeout,
    intervalJitterMs: h.interval_jitter ?? 0,
    intervalJitterPercent: h.interval_jitter_percent ?? 0,
    noTrafficIntervalMs: h.no_traffic_interval ?? 60_000,
    unhealthyIntervalMs: h.unhealthy_interval ?? h.interval,
    unhealthyThreshold: Math.max(1, h.unhealthy_threshold),
    healthyThreshold: Math.max(1, h.healthy_threshold),
    expectedStatuses: http.expected_statuses?.map((r) => [r.start, r.end] as const) ?? [[200, 201]],
    ...(http.service_name_matcher ? { serviceName: lowerStringMatcher(http.service_name_matcher) } : {}),
  }
}

function outlier(o: OutlierDetectionConfig): OutlierIR {
  const base = o.base_ejection_time ?? 30_000
  return {
    consecutive5xx: o.consecutive_5xx ?? 5,
    consecutiveGatewayFailure: o.consecutive_gateway_failure ?? 5,
    consecutiveLocalOriginFailure: o.consecutive_local_origin_failure ?? 5,
    intervalMs: o.interval ?? 10_000,
    baseEjectionTimeMs: base,
    maxEjectionTimeMs: Math.max(base, o.max_ejection_time ?? 300_000),
    maxEjectionPercent: o.max_ejection_percent ?? 10,
    enforcing5xx: o.enforcing_consecutive_5xx ?? 100,
    // Envoy defaults gateway-failure enforcement to 0%: detected, counted, not ejected.
    enforcingGatewayFailure: o.enforcing_consecutive_gateway_failure ?? 0,
    enforcingLocalOriginFailure: o.enforcing_consecutive_local_origin_failure ?? 100,
    splitExternalLocalOriginErrors: o.split_external_local_origin_errors ?? false,
    successfulActiveHealthCheckUnejectHost: o.successful_active_health_check_uneject_host ?? true,
    alwaysEjectOneHost: o.always_eject_one_host ?? false,
  }
}

function circuitBreakers(c: CircuitBreakersConfig | undefined): CircuitBreakerIR {
  // Only the DEFAULT routing priority exists here (no route `priority: HIGH` path).
  const t = c?.thresholds?.find((x) => (x.priority ?? 'DEFAULT') === 'DEFAULT')
  return {
    maxPendingRequests: t?.max_pending_requests ?? 1024,
    maxRequests: t?.max_requests ?? 1024,
    maxRetries: t?.max_retries ?? 3,
    ...(t?.retry_budget
      ? { retryBudget: { budgetPercent: t.retry_budget.budget_percent ?? 20, minRetryConcurrency: t.retry_budget.min_retry_concurrency ?? 3 } }
      : {}),
  }
}

export interface ClusterResilienceFields {
  readonly health_checks?: readonly HealthCheckConfig[] | undefined
  readonly outlier_detection?: OutlierDetectionConfig | undefined
  readonly circuit_breakers?: CircuitBreakersConfig | undefined
  readonly common_lb_config?: CommonLbConfig | undefined
  readonly load_assignment?: { readonly policy?: { readonly overprovisioning_factor?: number | undefined } | undefined } | undefined
}

/** A cluster's resilience settings, with Envoy's defaults (a default is left out of the IR). */
export function lowerClusterResilience(c: ClusterResilienceFields) {
  const healthChecks = (c.health_checks ?? []).filter((h) => h.http_health_check).map(healthCheck)
  const breakers = circuitBreakers(c.circuit_breakers)
  const panic = c.common_lb_config?.healthy_panic_threshold ?? DEFAULT_HEALTHY_PANIC_THRESHOLD
  const overprovisioning = (c.load_assignment?.policy?.overprovisioning_factor ?? 140) / 100
  return {
    ...(healthChecks.length ? { healthChecks } : {}),
    ...(c.outlier_detection ? { outlier: outlier(c.outlier_detection) } : {}),
    ...(JSON.stringify(breakers) !== JSON.stringify(DEFAULT_CIRCUIT_BREAKERS) ? { circuitBreakers: breakers } : {}),
    ...(panic !== DEFAULT_HEALTHY_PANIC_THRESHOLD ? { healthyPanicThreshold: panic } : {}),
    ...(overprovisioning !== DEFAULT_OVERPROVISIONING_FACTOR ? { overprovisioningFactor: overprovisioning } : {}),
  }
}

/** A route's (or virtual host's) `retry_policy`, with Envoy's defaults. */
export function lowerRetryPolicy(p: RetryPolicyConfig): RetryPolicyIR {
  const base = p.retry_back_off?.base_interval ?? 25
  return {
    retryOn: (p.retry_on ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    numRetries: p.num_retries ?? 1,
    perTryTimeoutMs: p.per_try_timeout ?? 0,
    retriableStatusCodes: p.retriable_status_codes ?? [],
    avoidPreviousHosts: (p.retry_host_predicate ?? []).some((h) => h.name.endsWith('previous_hosts')),
    hostSelectionMaxAttempts: p.host_selection_retry_max_attempts ?? 1,
    backOffBaseMs: base,
    backOffMaxMs: p.retry_back_off?.max_interval ?? base * 10,
  }
}

/** `retry_policy` → the runtime RetryPolicy (tests and tools; compiled snapshots carry it already). */
export function compileRetryPolicy(p: RetryPolicyConfig): RetryPolicy {
  const ir = lowerRetryPolicy(p)
  return { ...ir, retryOn: new Set(ir.retryOn), retriableStatusCodes: new Set(ir.retriableStatusCodes) }
}
