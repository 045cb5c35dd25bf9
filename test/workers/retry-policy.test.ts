/**
 * Which outcomes each retry_on condition retries, back-off bounds, and the
 * trust rule for x-envoy-* request headers.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-max-retries
 */
import { describe, expect, it } from 'vitest'
import { compileRetryPolicy } from '../../src/compile/resilience'
import { effectiveRetryPolicy, effectiveTimeouts, type AttemptOutcome } from '../../src/upstream/retry'
import { backOffMs, shouldRetry } from '../../src/upstream/retries'

const response = (status: number, headers: Record<string, string> = {}): AttemptOutcome => ({ kind: 'response', status, headers: new Headers(headers) })
const noResponse: AttemptOutcome = { kind: 'no_response', reason: 'connect_failure' }
const perTry: AttemptOutcome = { kind: 'no_response', reason: 'per_try_timeout' }
const policy = (retry_on: string, extra: Record<string, unknown> = {}) => compileRetryPolicy({ retry_on, ...extra })

describe('retry_on', () => {
  it.each([
    ['5xx', [500, 503], [404, 409], true],
    ['gateway-error', [502, 503, 504], [500, 501], true],
    ['retriable-4xx', [409], [400, 404, 500], false],
    ['connect-failure', [], [500, 503], true],
    ['reset', [], [503], true],
  ] as const)('%s', (on, retried, notRetried, onNoResponse) => {
    const p = policy(on)
    for (const s of retried) expect(shouldRetry(p, response(s))).toBe(true)
    for (const s of notRetried) expect(shouldRetry(p, response(s))).toBe(false)
    expect(shouldRetry(p, noResponse)).toBe(onNoResponse)
  })

  it('retriable-status-codes retries exactly the listed codes', () => {
    const p = policy('retriable-status-codes', { retriable_status_codes: [418, 429] })
    expect([418, 429, 500].map((s) => shouldRetry(p, response(s)))).toEqual([true, true, false])
  })

  it('per-try timeouts are retried by 5xx, gateway-error and reset, not by connect-failure alone', () => {
    for (const on of ['5xx', 'gateway-error', 'reset']) expect(shouldRetry(policy(on), perTry)).toBe(true)
    expect(shouldRetry(policy('connect-failure'), perTry)).toBe(false)
    expect(shouldRetry(policy('connect-failure,retriable-4xx'), perTry)).toBe(false)
  })

  it('an upstream answering x-envoy-overloaded is not retried', () => {
    expect(shouldRetry(policy('5xx'), response(503, { 'x-envoy-overloaded': 'true' }))).toBe(false)
  })

  it('num_retries defaults to 1; back-off is jittered in [0, 25 ms × (2^n − 1)] capped at 250 ms', () => {
    const p = policy('5xx')
    expect(p.numRetries).toBe(1)
    expect(backOffMs(p, 1, () => 0.999)).toBe(24)
    expect(backOffMs(p, 2, () => 0.999)).toBe(74)
    expect(backOffMs(p, 10, () => 0.999)).toBe(249)
    expect(backOffMs(p, 3, () => 0)).toBe(0)
  })
})

describe('x-envoy-* request headers', () => {
  const req = new Request('http://x/', { headers: { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '4', 'x-envoy-upstream-rq-timeout-ms': '100', 'x-envoy-upstream-rq-per-try-timeout-ms': '20' } })

  it('are ignored from untrusted (external) callers', () => {
    expect(effectiveRetryPolicy(undefined, req, false)).toBeUndefined()
    expect(effectiveTimeouts(15_000, undefined, req, false)).toEqual({ routeTimeoutMs: 15_000, perTryTimeoutMs: 0 })
  })

  it('are honoured from trusted internal callers', () => {
    const p = effectiveRetryPolicy(compileRetryPolicy({ retry_on: 'connect-failure' }), req, true)!
    expect([...p.retryOn].sort()).toEqual(['5xx', 'connect-failure'])
    expect(p.numRetries).toBe(4)
    expect(effectiveTimeouts(15_000, p, req, true)).toEqual({ routeTimeoutMs: 100, perTryTimeoutMs: 20 })
  })
})
