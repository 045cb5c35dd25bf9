/**
 * The router's retry policy for a request: the route's, or a trusted caller's
 * `x-envoy-*` request headers that override the route's policy and timeouts.
 * Which outcomes are retried, the back-off between tries and the body kept
 * for a retry are in retries.ts, a chunk of its own: imported for a snapshot
 * whose routes retry or whose listener has internal callers (upstream/on-demand.ts).
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
import { retrying } from './on-demand.js'

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

/**
 * The retry policy for this request: the route's (else the virtual host's),
 * with a trusted caller's x-envoy-retry-on / x-envoy-max-retries applied
 * (retries.ts). Undefined when nothing asks for retries.
 */
export function effectiveRetryPolicy(base: RetryPolicy | undefined, request: Request, trusted: boolean): RetryPolicy | undefined {
  if (!trusted) return base?.retryOn.size ? base : undefined
  const onHeader = request.headers.get('x-envoy-retry-on')
  const maxHeader = request.headers.get('x-envoy-max-retries')
  if (onHeader === null && maxHeader === null) return base?.retryOn.size ? base : undefined
  return retrying().withRetryHeaders(base, onHeader, maxHeader)
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
