/**
 * The listener's `http_filters`, in config order, as Hono middleware. The
 * router filter (`envoy.filters.http.router`) is the last entry in Envoy and
 * is the app's final handler here, so it adds no middleware (and filters
 * listed after it never run, as in Envoy).
 *
 * Each filter sees its per-route config merged as Envoy merges it: the
 * route's `typed_per_filter_config` over the virtual host's over the
 * listener's config. A FilterConfig `disabled: true` skips the filter for
 * that route; a filter marked `disabled` runs only where a route enables it.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_filters
 */
import type { MiddlewareHandler } from 'hono'
import type { Listener } from '../compile/types.js'
import { HTTP_FILTER_SCHEMAS, knownFilterName } from '../config/schema/filters/index.js'
import type { ProxyEnv } from '../router/app.js'
import { cloudflareRateLimitFilter } from './cloudflare-ratelimit.js'
import { cacheFilter } from './cache.js'
import { compressorFilter } from './compressor.js'
import { corsFilter } from './cors.js'
import { csrfFilter } from './csrf.js'
import { decompressorFilter } from './decompressor.js'
import { faultFilter } from './fault.js'
import { healthCheckFilter } from './health-check.js'
import { headerMutationFilter } from './header-mutation.js'
import { headerToMetadataFilter } from './header-to-metadata.js'
import { jwtAuthnFilter } from './jwt/authn.js'
import { localRateLimitFilter } from './local-ratelimit.js'
import { parseValidated } from './parse.js'
import { perRouteEntry, unwrapPerFilter } from './per-route.js'
import { rbacFilter } from './rbac.js'
import { incrementStat } from './stats.js'
import type { FilterDeps, FilterFactory } from './types.js'

export { filterStats, resetFilterStats } from './stats.js'
export type { FilterDeps } from './types.js'

export const ROUTER_FILTER = 'envoy.filters.http.router'

const FACTORIES: Readonly<Record<string, FilterFactory<never, never>>> = Object.fromEntries(
  [
    corsFilter, faultFilter, jwtAuthnFilter, localRateLimitFilter, rbacFilter, cloudflareRateLimitFilter,
    healthCheckFilter, csrfFilter, cacheFilter, compressorFilter, decompressorFilter, headerMutationFilter, headerToMetadataFilter,
  ].map((f) => [f.name, f as FilterFactory<never, never>]),
)

/**
 * Per-route configs, parsed once per config object (the snapshot is frozen,
 * so identity is stable). Parsed up front so a bad one fails the build, not a request.
 */
function parsePerRoute(listener: Listener, configName: string, known: string): WeakMap<object, unknown> {
  const parsed = new WeakMap<object, unknown>()
  const schema = HTTP_FILTER_SCHEMAS[known]!.perRoute
  const visit = (raw: unknown, where: string) => {
    if (raw === undefined) return
    const entry = unwrapPerFilter(raw, where)
    if (!entry.config) return
    if (!schema) throw new Error(`${where}: ${known} takes no per-route config (only FilterConfig with disabled)`)
    parsed.set(entry.config, parseValidated(schema, entry.config, where))
  }
  for (const vh of listener.routeTable.virtualHosts) {
    visit(vh.perFilterConfig[configName], `virtual host ${vh.name} typed_per_filter_config["${configName}"]`)
    for (const r of vh.routes) visit(r.perFilterConfig[configName], `route ${r.name} (${r.sourcePath.join('.')}) typed_per_filter_config["${configName}"]`)
  }
  return parsed
}

export function buildFilterChain(listener: Listener, deps: FilterDeps): MiddlewareHandler<ProxyEnv>[] {
  const chain: MiddlewareHandler<ProxyEnv>[] = []
  for (const f of listener.httpFilters) {
    const known = knownFilterName(f.name, f.typeUrl)
    if (known === ROUTER_FILTER) break
    if (known === undefined) {
      // Validation already rejected unknown filters unless they are optional, which Envoy skips.
      if (f.isOptional) continue
      throw new Error(`HTTP filter "${f.name}" is not implemented by edgevoy`)
    }
    const factory = FACTORIES[known]!
    const config = parseValidated(HTTP_FILTER_SCHEMAS[known]!.config, { ...f.config, ...(f.typeUrl ? { '@type': f.typeUrl } : {}) }, `http_filters "${f.name}"`)
    const perRoute = parsePerRoute(listener, f.name, known)
    const prefix = `http.${listener.statPrefix}.${factory.statName}.`
    const handler = factory.create(config as never, { listener, deps, count: (s) => incrementStat(prefix + s) })
    chain.push(async (c, next) => {
      const { route, virtualHost } = c.get('decision')
      const entry = perRouteEntry(route, virtualHost, f.name)
      if (entry?.disabled === true || (f.disabled && entry === undefined)) return next()
      const config = entry?.config ? (perRoute.get(entry.config) as never) : undefined
      const res = await handler(c, next, config)
      // `return next()` hands back the context, not a Response: only a local reply replaces c.res.
      if (res instanceof Response) c.res = res
    })
  }
  return chain
}
