/**
 * A validated config → one frozen Snapshot. Pure: no I/O, no hono, no clock
 * reads except the injected `now`. A new config means a new Snapshot, swapped
 * in whole by whoever holds it.
 */
import type { EnvoyConfig } from '../config/load.js'
import type { ListenerConfig } from '../config/schema/listener.js'
import type { RouteConfigurationConfig, VirtualHostConfig } from '../config/schema/route.js'
import { compileAction } from './actions.js'
import { compileCluster, type ResolveMap } from './clusters.js'
import { compileDownstreamPolicy } from './downstream.js'
import { deepFreeze } from './freeze.js'
import { hashText } from './hash.js'
import { compileHeaderMutations } from './headers.js'
import { compileRouteMatch } from './match.js'
import type { Cluster, HttpFilterConfig, Listener, Route, RouteTable, Snapshot, VirtualHost } from './types.js'
import { buildVirtualHostIndex } from './virtual-hosts.js'

/** Envoy's default HCM stream_idle_timeout: 5 minutes (docs/root/faq/configuration/timeouts.rst). */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000

export interface CompileOptions {
  /** Config version this snapshot serves (the admin API's), default `"bundled"`. */
  readonly version?: string
  /** Local stand-in for DNS: hostname → addresses (`ip` or `ip:port`). */
  readonly resolve?: ResolveMap
  readonly now?: () => number
}

export function compileConfig(config: EnvoyConfig, options: CompileOptions = {}): Snapshot {
  const sr = config.bootstrap.static_resources
  const clusters = new Map<string, Cluster>()
  for (const c of sr?.clusters ?? []) clusters.set(c.name, compileCluster(c, options.resolve))
  const listeners = (sr?.listeners ?? []).map((l, i) => compileListener(l, i))
  return deepFreeze({
    version: options.version ?? 'bundled',
    hash: hashText(JSON.stringify(config.json) ?? ''),
    listeners,
    clusters,
    createdAt: (options.now ?? Date.now)(),
    bootstrapTracing: config.bootstrap.tracing,
    serviceCluster: typeof config.bootstrap.node?.cluster === 'string' ? config.bootstrap.node.cluster : undefined,
  })
}

function compileListener(l: ListenerConfig, index: number): Listener {
  const path = ['static_resources', 'listeners', index, 'filter_chains', 0, 'filters', 0, 'typed_config']
  const hcm = l.filter_chains[0]!.filters[0]!.httpConnectionManager
  const port = l.address.socket_address.port_value ?? 0
  const { route_config, http_filters, stat_prefix, ...rest } = hcm
  const routeTable = compileRouteTable(route_config ?? { virtual_hosts: [] }, [...path, 'route_config'], {
    stripAnyPort: hcm.strip_any_host_port === true || route_config?.ignore_port_in_host_matching === true,
    stripPort: hcm.strip_matching_host_port ? port : undefined,
  })
  return {
    name: l.name ?? `listener_${index}`,
    address: l.address.socket_address.address,
    port,
    statPrefix: stat_prefix,
    routeTable,
    httpFilters: http_filters.map(
      (f): HttpFilterConfig => {
        const { '@type': typeUrl, ...config } = (f.typed_config ?? {}) as Record<string, unknown>
        return { name: f.name, typeUrl: typeof typeUrl === 'string' ? typeUrl : undefined, config, isOptional: f.is_optional === true, disabled: f.disabled === true }
      },
    ),
    downstream: compileDownstreamPolicy(hcm),
    streamIdleTimeoutMs: hcm.stream_idle_timeout ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    requestTimeoutMs: hcm.request_timeout ?? 0,
    maxStreamDurationMs: hcm.common_http_protocol_options?.max_stream_duration ?? 0,
    connectionManager: Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
  }
}

function compileRouteTable(rc: Partial<RouteConfigurationConfig>, path: (string | number)[], hostMatch: Parameters<typeof buildVirtualHostIndex>[1]): RouteTable {
  const virtualHosts = (rc.virtual_hosts ?? []).map((vh, i) => compileVirtualHost(vh, [...path, 'virtual_hosts', i]))
  const mutations = compileHeaderMutations(rc)
  return {
    name: rc.name ?? '',
    virtualHosts,
    findVirtualHost: buildVirtualHostIndex(virtualHosts, hostMatch),
    requestHeaders: mutations.request,
    responseHeaders: mutations.response,
    internalOnlyHeaders: (rc.internal_only_headers ?? []).map((h) => h.toLowerCase()),
  }
}

function compileVirtualHost(vh: VirtualHostConfig, path: (string | number)[]): VirtualHost {
  const mutations = compileHeaderMutations(vh)
  const { cors, retry_policy, hedge_policy, rate_limits } = vh
  return {
    name: vh.name,
    domains: vh.domains,
    routes: vh.routes.map((r, i): Route => {
      const m = compileHeaderMutations(r)
      return {
        name: r.name ?? `#${i}`,
        index: i,
        match: compileRouteMatch(r.match),
        action: compileAction(r, vh.per_request_buffer_limit_bytes),
        requestHeaders: m.request,
        responseHeaders: m.response,
        perFilterConfig: r.typed_per_filter_config ?? {},
        sourcePath: [...path, 'routes', i],
      }
    }),
    requestHeaders: mutations.request,
    responseHeaders: mutations.response,
    perFilterConfig: vh.typed_per_filter_config ?? {},
    requireTls: vh.require_tls ?? 'NONE',
    extensions: Object.fromEntries(Object.entries({ cors, retry_policy, hedge_policy, rate_limits }).filter(([, v]) => v !== undefined)),
  }
}
