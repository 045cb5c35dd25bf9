/**
 * Typed, defaulted forms of the resilience sub-configs that the compile step
 * keeps raw (validated) in `Cluster.extensions` / `ForwardAction.extensions`.
 * Pure functions of frozen config, memoised per object, so the request path
 * reads camelCase values with Envoy's defaults already applied.
 */
import type { CircuitBreakersConfig, CommonLbConfig, HealthCheckConfig, OutlierDetectionConfig } from '../config/schema/health.js'
import type { RetryPolicyConfig } from '../config/schema/retry.js'
import type { Cluster } from './types.js'

/** One HTTP active health check (`core.v3.HealthCheck` + `http_health_check`). */
export interface HealthCheckPolicy {
  readonly path: string
  readonly host: string | undefined
  readonly method: string
  readonly intervalMs: number
  readonly timeoutMs: number
  readonly intervalJitterMs: number
  readonly intervalJitterPercent: number
  readonly noTrafficIntervalMs: number
  readonly unhealthyIntervalMs: number
  readonly unhealthyThreshold: number
  readonly healthyThreshold: number
  /** [start, end) ranges; Envoy's default is [200, 201). */
  readonly expectedStatuses: readonly (readonly [number, number])[]
}

export interface OutlierPolicy {
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

export interface CircuitBreakerThresholds {
  readonly maxPendingRequests: number
  readonly maxRequests: number
  readonly maxRetries: number
  /** When set, overrides maxRetries: retries allowed = max(minConcurrency, percent% of active requests). */
  readonly retryBudget: { readonly budgetPercent: number; readonly minRetryConcurrency: number } | undefined
}

export interface ClusterResilience {
  readonly healthChecks: readonly HealthCheckPolicy[]
  readonly outlier: OutlierPolicy | undefined
  readonly circuitBreakers: CircuitBreakerThresholds
  /** `common_lb_config.healthy_panic_threshold`, percent (default 50). */
  readonly healthyPanicThreshold: number
  /** `load_assignment.policy.overprovisioning_factor` as a multiplier (default 1.4). */
  readonly overprovisioningFactor: number
}

export type RetryOn = '5xx' | 'gateway-error' | 'reset' | 'connect-failure' | 'retriable-4xx' | 'refused-stream' | 'retriable-status-codes'

export interface RetryPolicy {
  readonly retryOn: ReadonlySet<string>
  readonly numRetries: number
  /** 0: none (the route timeout alone bounds each try). */
  readonly perTryTimeoutMs: number
  readonly retriableStatusCodes: ReadonlySet<number>
  /** `envoy.retry_host_predicates.previous_hosts`: a retry avoids the hosts already tried. */
  readonly avoidPreviousHosts: boolean
  readonly hostSelectionMaxAttempts: number
  readonly backOffBaseMs: number
  readonly backOffMaxMs: number
}

const memo = <K extends object, V>(build: (k: K) => V) => {
  const cache = new WeakMap<K, V>()
  return (k: K): V => {
    let v = cache.get(k)
    if (v === undefined) cache.set(k, (v = build(k)))
    return v
  }
}

function healthCheckPolicy(h: HealthCheckConfig): HealthCheckPolicy {
  const http = h.http_health_check!
  return {
    path: http.path,
    host: http.host,
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
  }
}

function outlierPolicy(o: OutlierDetectionConfig): OutlierPolicy {
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

function circuitBreakerThresholds(c: CircuitBreakersConfig | undefined): CircuitBreakerThresholds {
  // Only the DEFAULT routing priority exists here (no route `priority: HIGH` path).
  const t = c?.thresholds?.find((x) => (x.priority ?? 'DEFAULT') === 'DEFAULT')
  return {
    maxPendingRequests: t?.max_pending_requests ?? 1024,
    maxRequests: t?.max_requests ?? 1024,
    maxRetries: t?.max_retries ?? 3,
    retryBudget: t?.retry_budget
      ? { budgetPercent: t.retry_budget.budget_percent ?? 20, minRetryConcurrency: t.retry_budget.min_retry_concurrency ?? 3 }
      : undefined,
  }
}

/** The resilience settings of a cluster, with Envoy's defaults. */
export const clusterResilience = memo((cluster: Cluster): ClusterResilience => {
  const x = cluster.extensions as {
    health_checks?: HealthCheckConfig[]
    outlier_detection?: OutlierDetectionConfig
    circuit_breakers?: CircuitBreakersConfig
    common_lb_config?: CommonLbConfig
    policy?: { overprovisioning_factor?: number }
  }
  return {
    healthChecks: (x.health_checks ?? []).filter((h) => h.http_health_check).map(healthCheckPolicy),
    outlier: x.outlier_detection ? outlierPolicy(x.outlier_detection) : undefined,
    circuitBreakers: circuitBreakerThresholds(x.circuit_breakers),
    healthyPanicThreshold: x.common_lb_config?.healthy_panic_threshold ?? 50,
    overprovisioningFactor: (x.policy?.overprovisioning_factor ?? 140) / 100,
  }
})

/** A route's (or virtual host's) `retry_policy`, with Envoy's defaults. */
export const compileRetryPolicy = memo((p: RetryPolicyConfig): RetryPolicy => {
  const base = p.retry_back_off?.base_interval ?? 25
  return {
    retryOn: new Set((p.retry_on ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
    numRetries: p.num_retries ?? 1,
    perTryTimeoutMs: p.per_try_timeout ?? 0,
    retriableStatusCodes: new Set(p.retriable_status_codes ?? []),
    avoidPreviousHosts: (p.retry_host_predicate ?? []).some((h) => h.name.endsWith('previous_hosts')),
    hostSelectionMaxAttempts: p.host_selection_retry_max_attempts ?? 1,
    backOffBaseMs: base,
    backOffMaxMs: p.retry_back_off?.max_interval ?? base * 10,
  }
})
