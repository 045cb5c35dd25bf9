/**
 * The listener's compiled `http_filters`, in config order, as Hono
 * middleware. The router filter (`envoy.filters.http.router`) is the last
 * entry in Envoy and is the app's final handler here, so it adds no
 * middleware (and filters listed after it never run, as in Envoy).
 *
 * Each filter sees its per-route config as Envoy finds it, already compiled:
 * the route's `typed_per_filter_config` over the virtual host's. A
 * FilterConfig `disabled: true` skips the filter for that route; a filter
 * marked `disabled` runs only where a route enables it.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_filters
 */
import type { MiddlewareHandler } from 'hono'
import type { HttpFilter, Listener } from '../compile/types.js'
import type { ProxyEnv } from '../context.js'
import { isolateStats } from '../observability/stats.js'
import { loadedFilter, type ImplementedKind } from './registry.js'
import type { FilterDeps, FilterEnv, FilterFactory, FilterHandler } from './types.js'

export type { FilterDeps } from './types.js'

export const ROUTER_FILTER = 'envoy.filters.http.router'

function create(f: Extract<HttpFilter, { kind: ImplementedKind }>, env: FilterEnv): FilterHandler<unknown> {
  const factory = loadedFilter(f.kind) as FilterFactory<ImplementedKind>
  return factory.create(f.config as never, env) as FilterHandler<unknown>
}

/**
 * The listener's chain. Every filter it names must be loaded first
 * (registry.ts `loadListenerFilters`): filters are imported where a snapshot
 * is made ready to serve, never per request.
 */
export function buildFilterChain(listener: Listener, deps: FilterDeps): MiddlewareHandler<ProxyEnv>[] {
  const chain: MiddlewareHandler<ProxyEnv>[] = []
  const stats = deps.stats ?? isolateStats
  const stat = (name: string) => stats.counter(name)
  for (const f of listener.httpFilters) {
    if (f.kind === 'router') break
    // The compiler kept unknown filters only when optional: Envoy skips them.
    if (f.kind === 'unknown') continue
    const prefix = `http.${listener.statPrefix}.${loadedFilter(f.kind).statName}.`
    const handler = create(f, { listener, deps, count: (s) => stats.counter(prefix + s), stat })
    const name = f.name
    const disabledByDefault = f.disabled
    chain.push(async (c, next) => {
      const entry = c.get('decision').route?.filterOverrides[name]
      if (entry === undefined ? disabledByDefault : entry.disabled === true) return next()
      const res = await handler(c, next, entry?.config)
      // `return next()` hands back the context, not a Response: only a local reply replaces c.res.
      if (res instanceof Response) c.res = res
    })
  }
  return chain
}
