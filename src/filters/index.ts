/**
 * The listener's `http_filters`, in config order, as Hono middleware. The
 * router filter (`envoy.filters.http.router`) is the last entry in Envoy and
 * is the app's final handler here, so it adds no middleware.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_filters
 */
import type { MiddlewareHandler } from 'hono'
import type { Listener } from '../compile/types.js'

export const ROUTER_FILTER = 'envoy.filters.http.router'

export function buildFilterChain(listener: Listener, _deps: unknown): MiddlewareHandler[] {
  const chain: MiddlewareHandler[] = []
  for (const f of listener.httpFilters) {
    if (f.name === ROUTER_FILTER || f.disabled) continue
  }
  return chain
}
