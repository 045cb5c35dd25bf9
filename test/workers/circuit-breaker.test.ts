/**
 * max_requests: over the limit, Envoy answers 503 with x-envoy-overloaded
 * instead of queueing (per isolate here, per worker thread in Envoy).
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/circuit_breaking
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-overloaded
 */
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import { envoyConfig, proxyFor } from './health-harness'
import { upstreamStatus } from '../../src/upstream/cluster-status'

const control = controlClient(inject('upstreamControl'))

describe('circuit breakers', () => {
  it('max_requests 5: of 20 concurrent slow requests 5 pass, 15 get 503 x-envoy-overloaded', async () => {
    const { port } = await control.start('circuit-slow')
    await control.setBehavior('circuit-slow', { delayMs: 400 })
    const proxy = proxyFor(envoyConfig({ name: 'circuit_max_requests', endpoints: [{ port }], extra: { circuit_breakers: { thresholds: [{ max_requests: 5 }] } } }))
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await proxy.fetch('/slow')
        await res.body?.cancel()
        return { status: res.status, overloaded: res.headers.get('x-envoy-overloaded') }
      }),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(5)
    const refused = results.filter((r) => r.status === 503)
    expect(refused).toHaveLength(15)
    expect(refused.every((r) => r.overloaded === 'true')).toBe(true)
    const status = upstreamStatus(proxy.clusters, proxy.snapshot.clusters.get('circuit_max_requests')!)
    expect(status.counters.requestOverflows).toBe(15)
    expect(status.counters.activeRequests).toBe(0)
    // Capacity is back once they finish.
    const after = await proxy.fetch('/slow')
    expect(after.status).toBe(200)
    await after.body?.cancel()
  })
})

describe('retry circuit breakers', () => {
  it('max_retries bounds concurrent retries; retry_budget scales with active requests', async () => {
    const { CircuitBreaker } = await import('../../src/upstream/circuit-breaker')
    const b = new CircuitBreaker({ maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 2, retryBudget: undefined })
    const r1 = b.tryRetry()
    const r2 = b.tryRetry()
    expect(b.tryRetry()).toBeUndefined()
    r1!()
    expect(b.tryRetry()).toBeDefined()
    r2!()
    const budget = new CircuitBreaker({ maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, retryBudget: { budgetPercent: 20, minRetryConcurrency: 1 } })
    const active = Array.from({ length: 10 }, () => budget.tryRequest()!)
    // 20% of 10 active requests: 2 concurrent retries.
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()].filter(Boolean)).toHaveLength(2)
    for (const release of active) release()
    expect(budget.counters.retryOverflows).toBe(1)
  })
})
