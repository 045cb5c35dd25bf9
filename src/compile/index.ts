/**
 * A validated config → one frozen Snapshot, in three steps:
 *
 *   lowerConfig(config)  → SnapshotIR   plain, typed, JSON-serializable data (control plane: uses the schemas)
 *   encodeSnapshot(ir)   → encoded      route tables as columns, shared values pooled (src/compile/serialize.ts)
 *   linkSnapshot(enc)    → Snapshot     predicates, RegExps, indexes (data plane: src/snapshot/, no config/)
 *
 * compileConfig = link ∘ encode ∘ lower. The encoded IR is what serializeSnapshot writes and
 * loadSnapshot reads, so a data plane can run a snapshot it never compiled.
 * Pure: no I/O, no hono, no clock reads except the injected `now`.
 */
import type { EnvoyConfig } from '../config/load.js'
import type { ListenerConfig } from '../config/schema/listener.js'
import type { RouteConfigurationConfig, VirtualHostConfig } from '../config/schema/route.js'
import { linkSnapshot } from '../snapshot/link.js'
import * as filterConfigs from '../snapshot/filter-configs.js'
import { installFilterLinkers } from '../snapshot/filters.js'
import * as matchLinkers from '../snapshot/match-linkers.js'
import { installMatchLinkers } from '../snapshot/matchers.js'
import { encodeSnapshot } from './serialize.js'
import { lowerAction, lowerUpgrades, RetryPolicyTable } from './actions.js'
import { lowerCluster, type ResolveMap } from './clusters.js'
import { lowerCors } from './filters/index.js'
import { lowerFilterOverrides, lowerHttpFilters, type FilterKinds } from './filters/index.js'
import { secretTable } from './filters/oauth2.js'
import { parseValidated } from './filters/common.js'
import { compileDownstreamPolicy } from './downstream.js'
import { hashText } from './hash.js'
import { lowerHeaderMutations } from './headers.js'
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, type ListenerIR, type RouteIR, type RouteTableIR, type SnapshotIR, type VirtualHostIR } from './ir.js'
import { lowerRouteMatch } from './match.js'
import { lowerAccessLog, lowerTracing } from './observability.js'
import { lowerRateLimits } from './rate-limits.js'
import type { Snapshot } from './types.js'
import { corsPolicy, type CorsPolicyConfig } from '../config/schema/filters/cors.js'

export { DEFAULT_STREAM_IDLE_TIMEOUT_MS }

export interface CompileOptions {
  /** Config version this snapshot serves (the admin API's), default `"bundled"`. */
  readonly version?: string
  /** Local stand-in for DNS: hostname → addresses (`ip` or `ip:port`). */
  readonly resolve?: ResolveMap
  readonly now?: () => number
}

export function compileConfig(config: EnvoyConfig, options: CompileOptions = {}): Snapshot {
  // The data plane imports the filter config and matcher linkers on demand (snapshot/filters.ts, snapshot/matchers.ts); the compiler carries them.
  installFilterLinkers(filterConfigs)
  installMatchLinkers(matchLinkers)
  return linkSnapshot(encodeSnapshot(lowerConfig(config, options)))
}

export function lowerConfig(config: EnvoyConfig, options: CompileOptions = {}): SnapshotIR {
  const sr = config.bootstrap.static_resources
  const bootstrapTracing = config.bootstrap.tracing
  const serviceCluster = typeof config.bootstrap.node?.cluster === 'string' ? config.bootstrap.node.cluster : undefined
  const retries = new RetryPolicyTable()
  const secrets = secretTable(sr?.secrets)
  const listeners = (sr?.listeners ?? []).map((l, i) => lowerListener(l, i, bootstrapTracing, retries, secrets))
  return {
    version: options.version ?? 'bundled',
    hash: hashText(JSON.stringify(config.json) ?? ''),
    createdAt: (options.now ?? Date.now)(),
    listeners,
    clusters: (sr?.clusters ?? []).map((c) => lowerCluster(c, options.resolve)),
    ...(retries.policies.length ? { retryPolicies: retries.policies } : {}),
    ...(serviceCluster !== undefined ? { serviceCluster } : {}),
  }
}

function lowerListener(l: ListenerConfig, index: number, bootstrapTracing: unknown, retries: RetryPolicyTable, secrets: ReadonlyMap<string, string>): ListenerIR {
  const path = ['static_resources', 'listeners', index, 'filter_chains', 0, 'filters', 0, 'typed_config']
  const hcm = l.filter_chains[0]!.filters[0]!.httpConnectionManager
  const port = l.address.socket_address.port_value ?? 0
  const { filters, kinds } = lowerHttpFilters(hcm.http_filters, hcm.parsedPerRoute, secrets)
  const routeTable = lowerRouteTable(hcm.route_config ?? { virtual_hosts: [] }, [...path, 'route_config'], kinds, retries)
  const tracing = lowerTracing(hcm.tracing, bootstrapTracing)
  return {
    name: l.name ?? `listener_${index}`,
    address: l.address.socket_address.address,
    port,
    statPrefix: hcm.stat_prefix,
    routeTable: {
      ...routeTable,
      ...(hcm.strip_any_host_port === true || hcm.route_config?.ignore_port_in_host_matching === true ? { stripAnyPort: true as const } : {}),
      ...(hcm.strip_matching_host_port ? { stripPort: port } : {}),
    },
    httpFilters: filters,
    ...(hcm.access_log?.length ? { accessLogs: hcm.access_log.map(lowerAccessLog) } : {}),
    ...(tracing ? { tracing } : {}),
    generateRequestId: hcm.generate_request_id !== false,
    downstream: compileDownstreamPolicy(hcm),
    ...(hcm.stream_idle_timeout !== undefined && hcm.stream_idle_timeout !== DEFAULT_STREAM_IDLE_TIMEOUT_MS ? { streamIdleTimeoutMs: hcm.stream_idle_timeout } : {}),
    ...(hcm.request_timeout ? { requestTimeoutMs: hcm.request_timeout } : {}),
    ...(hcm.common_http_protocol_options?.max_stream_duration ? { maxStreamDurationMs: hcm.common_http_protocol_options.max_stream_duration } : {}),
    ...(hcm.upgrade_configs?.length ? { upgrades: lowerUpgrades(hcm.upgrade_configs) } : {}),
  }
}

function lowerRouteTable(rc: Partial<RouteConfigurationConfig>, path: (string | number)[], kinds: FilterKinds, retries: RetryPolicyTable): RouteTableIR {
  return {
    name: rc.name ?? '',
    virtualHosts: (rc.virtual_hosts ?? []).map((vh, i) => lowerVirtualHost(vh, [...path, 'virtual_hosts', i], kinds, retries)),
    ...lowerHeaderMutations(rc),
    ...(rc.internal_only_headers?.length ? { internalOnlyHeaders: rc.internal_only_headers.map((h) => h.toLowerCase()) } : {}),
    ...(rc.most_specific_header_mutations_wins === true ? { mostSpecificHeaderMutationsWins: true as const } : {}),
    ...(rc.ignore_path_parameters_in_path_matching === true ? { ignorePathParameters: true as const } : {}),
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function lowerVirtualHost(vh: VirtualHostConfig, path: (string | number)[], kinds: FilterKinds, retries: RetryPolicyTable): VirtualHostIR {
  const where = `virtual host ${vh.name}`
  const cors = (raw: Record<string, unknown>, at: string) => lowerCors((kinds.validated?.get(raw) as CorsPolicyConfig | undefined) ?? parseValidated(corsPolicy, raw, at))
  const vhCors = isObject(vh.cors) ? cors(vh.cors, `${where} cors`) : undefined
  const defaults = { retryPolicy: vh.retry_policy, bufferLimitBytes: vh.per_request_buffer_limit_bytes }
  const rateLimits = lowerRateLimits(vh.rate_limits)
  const filterOverrides = lowerFilterOverrides(vh.typed_per_filter_config, kinds, where)
  return {
    name: vh.name,
    domains: vh.domains,
    routes: vh.routes.map((r, i): RouteIR => {
      const name = r.name ?? `#${i}`
      const routeWhere = `route ${name} (${[...path, 'routes', i].join('.')})`
      const onRoute = r.route && isObject(r.route.cors) ? cors(r.route.cors, `${routeWhere} cors`) : undefined
      // The route action's cors, else the virtual host's (a redirect or direct response has only the host's).
      const policy = onRoute ?? vhCors
      const overrides = lowerFilterOverrides(r.typed_per_filter_config, kinds, routeWhere)
      return {
        name,
        match: lowerRouteMatch(r.match),
        action: lowerAction(r, defaults, retries),
        ...lowerHeaderMutations(r),
        ...(policy ? { cors: policy } : {}),
        ...(overrides ? { filterOverrides: overrides } : {}),
      }
    }),
    ...lowerHeaderMutations(vh),
    ...(rateLimits ? { rateLimits } : {}),
    ...(filterOverrides ? { filterOverrides } : {}),
    ...(vh.require_tls !== undefined && vh.require_tls !== 'NONE' ? { requireTls: vh.require_tls } : {}),
  }
}
