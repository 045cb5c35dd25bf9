/**
 * Circuit breakers, per isolate and cluster: a request over `max_requests` /
 * `max_pending_requests`, or a retry over `max_retries` / `retry_budget`, is
 * refused instead of queued. Envoy counts per worker thread too.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/circuit_breaking
 */
import type { CircuitBreakerThresholds } from '../compile/types.js'

export interface BreakerCounters {
  readonly activeRequests: number
  readonly activeRetries: number
  /** `upstream_rq_pending_overflow` + `upstream_rq_overflow` in Envoy's stats. */
  readonly requestOverflows: number
  /** `upstream_rq_retry_overflow`. */
  readonly retryOverflows: number
}

export class CircuitBreaker {
  #thresholds: CircuitBreakerThresholds
  #active = 0
  #retries = 0
  #requestOverflows = 0
  #retryOverflows = 0

  constructor(thresholds: CircuitBreakerThresholds) {
    this.#thresholds = thresholds
  }

  /** A new config for the same cluster keeps the in-flight counts. */
  set thresholds(t: CircuitBreakerThresholds) {
    this.#thresholds = t
  }

  /**
   * Admits a request (until its upstream headers arrive: a Worker has no
   * connection pool, so in-flight requests are both "active" and "pending").
   * Returns the release function, or undefined when the breaker is open.
   */
  tryRequest(): (() => void) | undefined {
    const limit = Math.min(this.#thresholds.maxRequests, this.#thresholds.maxPendingRequests)
    if (this.#active >= limit) {
      this.#requestOverflows++
      return undefined
    }
    this.#active++
    let released = false
    return () => {
      if (!released) this.#active--
      released = true
    }
  }

  /** Admits one retry; the release function ends it. */
  tryRetry(): (() => void) | undefined {
    const budget = this.#thresholds.retryBudget
    const limit = budget ? Math.max(budget.minRetryConcurrency, Math.floor((budget.budgetPercent / 100) * this.#active)) : this.#thresholds.maxRetries
    if (this.#retries >= limit) {
      this.#retryOverflows++
      return undefined
    }
    this.#retries++
    let released = false
    return () => {
      if (!released) this.#retries--
      released = true
    }
  }

  get counters(): BreakerCounters {
    return { activeRequests: this.#active, activeRetries: this.#retries, requestOverflows: this.#requestOverflows, retryOverflows: this.#retryOverflows }
  }
}
