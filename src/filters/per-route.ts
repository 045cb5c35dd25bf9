/**
 * A filter's per-route config, as Envoy finds it: the route's
 * `typed_per_filter_config[name]` over the virtual host's (most specific
 * wins). `envoy.config.route.v3.FilterConfig` wraps a config or disables the
 * filter for the route.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-filterconfig
 */
import type { Route, VirtualHost } from '../compile/types.js'
import { FILTER_CONFIG_TYPE } from '../config/schema/filters/common.js'

export interface PerRouteEntry {
  /** true/false when a FilterConfig says so; undefined when it does not. */
  readonly disabled: boolean | undefined
  /** The filter's own per-route config, as written. */
  readonly config: Readonly<Record<string, unknown>> | undefined
  /** Where it was written, for errors. */
  readonly where: string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function unwrapPerFilter(raw: unknown, where: string): PerRouteEntry {
  if (!isObject(raw)) return { disabled: undefined, config: undefined, where }
  if (raw['@type'] === FILTER_CONFIG_TYPE) {
    const config = isObject(raw.config) ? raw.config : undefined
    return { disabled: typeof raw.disabled === 'boolean' ? raw.disabled : undefined, config, where }
  }
  // Envoy's FilterConfig also accepts a bare `disabled: true` where the filter has no per-route message of that name.
  if (Object.keys(raw).length === 1 && raw.disabled === true && !('@type' in raw)) return { disabled: true, config: undefined, where }
  return { disabled: undefined, config: raw, where }
}

/** The most specific entry for `filter`: route, else virtual host, else undefined. */
export function perRouteEntry(route: Route | undefined, virtualHost: VirtualHost | undefined, filter: string): PerRouteEntry | undefined {
  const onRoute = route?.perFilterConfig[filter]
  if (onRoute !== undefined) return unwrapPerFilter(onRoute, `route ${route!.name} (${route!.sourcePath.join('.')}) typed_per_filter_config["${filter}"]`)
  const onHost = virtualHost?.perFilterConfig[filter]
  if (onHost !== undefined) return unwrapPerFilter(onHost, `virtual host ${virtualHost!.name} typed_per_filter_config["${filter}"]`)
  return undefined
}
