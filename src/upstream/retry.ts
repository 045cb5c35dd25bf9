/**
 * The router's retry policy: which outcomes are retried, how many times, the
 * back-off between tries, and the `x-envoy-*` request headers that override
 * the route's policy and timeouts.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#retry-semantics
 *
 * Trust: Envoy honours the x-envoy-* request headers only from internal
 * callers, and removes them from every other request before the filters run
 * (src/router/downstream.ts does the same). By default no caller is internal;
 * a deployment names its internal callers with `RetryHeaderTrust` (e.g.
 * requests that came through a Workers service binding), and only their
 * headers are read.
 */
import type { RetryPolicy } from '../compile/types.js'

/** Decides whether a downstream caller is internal, and so may steer retries and timeouts with x-envoy-* headers. */
export type RetryHeaderTrust = (request: Request) => boolean

/** Never: every caller of an edge proxy is external. */
export const NEVER_TRUSTED: RetryHeaderTrust = () => false

/** How one attempt ended, as the retry policy classifies it. */
export type AttemptOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly headers: Headers }
  /** No response: fetch() rejected (workerd reports refused connects and resets alike) or the per-try timeout fired. */
  | { readonly kind: 'no_response'; readonly reason: 'connect_failure' | 'per_try_timeout' }

export interface EffectiveTimeouts {
  readonly routeTimeoutMs: number
  readonly perTryTimeoutMs: number
}

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

/**
 * The retry policy for this request: the route's (else the virtual host's),
 * with a trusted caller's x-envoy-retry-on / x-envoy-max-retries applied.
 * Undefined when nothing asks for retries.
 */
export function effectiveRetryPolicy(base: RetryPolicy | undefined, request: Request, trusted: boolean): RetryPolicy | undefined {
  if (!trusted) return base?.retryOn.size ? base : undefined
  const onHeader = request.headers.get('x-envoy-retry-on')
  const maxHeader = request.headers.get('x-envoy-max-retries')
  if (onHeader === null && maxHeader === null) return base?.retryOn.size ? base : undefined
  const policy = base ?? DEFAULT_POLICY
  const retryOn = new Set(policy.retryOn)
  // The header's conditions are added to the route's (Envoy ORs them).
  for (const item of (onHeader ?? '').split(',')) if (item.trim()) retryOn.add(item.trim())
  const max = maxHeader !== null && /^\d{1,4}$/.test(maxHeader.trim()) ? Number(maxHeader.trim()) : policy.numRetries
  return retryOn.size ? { ...policy, retryOn, numRetries: max } : undefined
}

/** Route and per-try timeouts, with a trusted caller's x-envoy-upstream-rq-*timeout-ms. */
export function effectiveTimeouts(routeTimeoutMs: number, policy: RetryPolicy | undefined, request: Request, trusted: boolean): EffectiveTimeouts {
  const ms = (name: string): number | undefined => {
    const v = trusted ? request.headers.get(name) : null
    return v !== null && /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : undefined
  }
  return {
    routeTimeoutMs: ms('x-envoy-upstream-rq-timeout-ms') ?? routeTimeoutMs,
    perTryTimeoutMs: ms('x-envoy-upstream-rq-per-try-timeout-ms') ?? policy?.perTryTimeoutMs ?? 0,
  }
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
