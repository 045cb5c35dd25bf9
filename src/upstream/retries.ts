/**
 * What retrying a request takes: which outcomes are retried, the back-off
 * between tries, a trusted caller's retry headers, and the request body kept
 * so a retry can send it again (replay-body.ts). Only a snapshot whose routes
 * retry, or whose listener has internal callers (who may ask for retries with
 * x-envoy-retry-on), uses it: upstream/on-demand.ts imports it where such a
 * snapshot is made ready to serve, never per request.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#retry-semantics
 */
import type { RetryPolicy } from '../compile/types.js'
import type { AttemptOutcome } from './retry.js'

export { prepareReplayBody, withBody } from './replay-body.js'

/** Envoy's RetryPolicy defaults, for a trusted caller's x-envoy-retry-on on a route without a policy. */
const DEFAULT_POLICY: RetryPolicy = Object.freeze({
  retryOn: new Set<string>(),
  numRetries: 1,
  perTryTimeoutMs: 0,
  retriableStatusCodes: new Set<number>(),
  avoidPreviousHosts: false,
  hostSelectionMaxAttempts: 1,
  backOffBaseMs: 25,
  backOffMaxMs: 250,
})

/** The policy a trusted caller's x-envoy-retry-on / x-envoy-max-retries make of `base` (either header set); undefined when it retries on nothing. */
export function withRetryHeaders(base: RetryPolicy | undefined, onHeader: string | null, maxHeader: string | null): RetryPolicy | undefined {
  const policy = base ?? DEFAULT_POLICY
  const retryOn = new Set(policy.retryOn)
  // The header's conditions are added to the route's (Envoy ORs them).
  for (const item of (onHeader ?? '').split(',')) if (item.trim()) retryOn.add(item.trim())
  const max = maxHeader !== null && /^\d{1,4}$/.test(maxHeader.trim()) ? Number(maxHeader.trim()) : policy.numRetries
  return retryOn.size ? { ...policy, retryOn, numRetries: max } : undefined
}

/** Whether `outcome` is retriable under `policy` (attempt counts and breakers are the caller's). */
export function shouldRetry(policy: RetryPolicy, outcome: AttemptOutcome): boolean {
  const on = policy.retryOn
  if (outcome.kind === 'no_response') {
    // 5xx and gateway-error include "no response at all"; reset covers
    // disconnects and read timeouts; connect-failure cannot be told apart
    // from a reset through fetch(), so it covers both (see README).
    if (on.has('5xx') || on.has('gateway-error') || on.has('reset')) return true
    // A per-try timeout is a read timeout, not a connection failure: connect-failure
    // alone does not retry it (Envoy router_filter docs, x-envoy-retry-on).
    return on.has('connect-failure') && outcome.reason !== 'per_try_timeout'
  }
  const { status, headers } = outcome
  // An upstream that says it is overloaded is not retried (Envoy: x-envoy-overloaded).
  if (headers.get('x-envoy-overloaded') !== null) return false
  if (on.has('5xx') && status >= 500) return true
  // gateway-error is 502, 503, 504 only: a plain 500 is not retried.
  if (on.has('gateway-error') && status >= 502 && status <= 504) return true
  if (on.has('retriable-4xx') && status === 409) return true
  if (on.has('retriable-status-codes') && policy.retriableStatusCodes.has(status)) return true
  // gRPC conditions read the grpc-status of a headers-only (trailers-only)
  // response, as Envoy's router does for x-envoy-retry-grpc-on.
  const grpc = GRPC_RETRY_ON[headers.get('grpc-status')?.trim() ?? '']
  return grpc !== undefined && on.has(grpc)
}

/** gRPC status codes (grpc/doc/statuscodes.md) → their retry_on names. */
const GRPC_RETRY_ON: Readonly<Record<string, string>> = { '1': 'cancelled', '4': 'deadline-exceeded', '8': 'resource-exhausted', '13': 'internal', '14': 'unavailable' }

/**
 * Envoy's fully jittered exponential back-off: a uniform wait in
 * [0, base × (2^attempt − 1)], capped at max (default 10 × base).
 */
export function backOffMs(policy: RetryPolicy, retryNumber: number, random: () => number): number {
  const ceiling = Math.min(policy.backOffMaxMs, policy.backOffBaseMs * (2 ** Math.min(retryNumber, 20) - 1))
  return Math.floor(random() * ceiling)
}
