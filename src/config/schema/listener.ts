/**
 * `config.listener.v3.Listener` and the HTTP connection manager inside it.
 * v3 shapes only: `normalize` has already rewritten v2 forms (`config`,
 * `envoy.*` names, `filter_chains` as one mapping) and maps error paths back.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto
 */
import { z } from 'zod'
import { duration, envoyEnum, envoyObject, opaque, uint32, warningMode, WARNING, wrapped } from './envoy-object.js'
import { FILTER_CONFIG_TYPE, routeFilterConfig } from './filters/common.js'
import { corsPolicy } from './filters/cors.js'
import { HTTP_FILTER_SCHEMAS, knownFilterName } from './filters/index.js'
import { accessLogList } from './access-log.js'
import { configSource } from './dynamic.js'
import { routeConfiguration, upgradeConfigList } from './route.js'
import { websocketRouteWarnings } from './upgrades.js'

/** `HttpConnectionManager.UpgradeConfig`: upgrade types the connection manager lets through (Envoy answers others 403). */
const hcmUpgradeConfig = envoyObject(
  { upgrade_type: z.string().min(1), enabled: wrapped(z.boolean()).optional() },
  { ignored: ['filters'], notes: { filters: "an upgrade runs the listener's http_filters (edgevoy has no separate upgrade filter chain)" } },
)

export const socketAddress = envoyObject(
  {
    address: z.string().min(1),
    port_value: uint32.pipe(z.number().max(65535)).optional(),
    named_port: z.string().optional(),
    protocol: envoyEnum(['TCP', 'UDP'], { caseInsensitive: true }).optional(),
    resolver_name: z.string().optional(),
    ipv4_compat: z.boolean().optional(),
  },
  {
    notApplied: {
      named_port: 'give port_value (named ports are resolved by Envoy\'s cluster types)',
      protocol: 'edgevoy speaks HTTP over TCP (fetch); the value is not checked',
      resolver_name: 'names are resolved by the Workers runtime',
      ipv4_compat: 'the Workers runtime owns sockets',
    },
  },
)

export const address = envoyObject(
  // Optional in the shape so that a pipe or internal address gets its own message, not "socket_address is missing".
  { socket_address: socketAddress.optional() },
  { unsupported: { pipe: 'pipe (unix socket) addresses are not supported: Workers have no unix sockets; use a socket_address', envoy_internal_address: 'internal listeners are not implemented' } },
)
  .superRefine((a, ctx) => {
    if (a.socket_address === undefined && !('pipe' in a) && !('envoy_internal_address' in a))
      ctx.addIssue({ code: 'custom', path: ['socket_address'], message: 'required field is missing (expected a mapping)', params: { kind: 'missing_field' } })
  })
  .transform((a) => a as typeof a & { socket_address: NonNullable<typeof a.socket_address> })

/**
 * Which downstream addresses are internal. Absent: none (Envoy ≥ 1.36);
 * present without cidr_ranges: RFC 1918 / RFC 4193 and loopback.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#extensions-filters-network-http-connection-manager-v3-httpconnectionmanager-internaladdressconfig
 */
const internalAddressConfig = envoyObject(
  {
    cidr_ranges: z.array(envoyObject({ address_prefix: z.string().min(1), prefix_len: wrapped(uint32).optional() })).optional(),
  },
  { ignored: ['unix_sockets'], notes: { unix_sockets: 'Workers have no unix sockets' } },
)

export const HCM_NAMES = ['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager'] as const
export const HCM_TYPES = [
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  'type.googleapis.com/envoy.config.filter.network.http_connection_manager.v2.HttpConnectionManager',
] as const

/**
 * An `http_filters` entry. Its typed_config is checked against the filter's
 * schema (src/config/schema/filters/) and kept, parsed, as `parsed` (the
 * compiler lowers it without parsing it again); an unknown filter is an error
 * naming it, or a warning when `is_optional` (Envoy skips optional unknown filters).
 */
export const httpFilter = envoyObject({
  name: z.string().min(1),
  typed_config: opaque.optional(),
  is_optional: z.boolean().optional(),
  disabled: z.boolean().optional(),
}).transform((f, ctx): typeof f & { parsed?: unknown } => {
  const typeUrl = typeof f.typed_config?.['@type'] === 'string' ? (f.typed_config['@type'] as string) : undefined
  const known = knownFilterName(f.name, typeUrl)
  if (known === undefined) {
    const implemented = Object.keys(HTTP_FILTER_SCHEMAS).join(', ')
    if (!f.is_optional)
      ctx.addIssue({ code: 'custom', path: ['name'], message: `HTTP filter "${f.name}" is not implemented by edgevoy (have: ${implemented}); mark it is_optional: true to skip it`, params: { kind: 'unsupported_filter' } })
    else if (warningMode.collecting)
      ctx.addIssue({ code: 'custom', path: ['name'], message: `optional HTTP filter "${f.name}" is not implemented and is skipped`, params: { kind: WARNING } })
    return f
  }
  const parsed = HTTP_FILTER_SCHEMAS[known]!.config.safeParse(f.typed_config ?? {})
  if (!parsed.success)
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['typed_config', ...issue.path] } as Parameters<typeof ctx.addIssue>[0])
  return { ...f, parsed: parsed.data }
})

/**
 * `config.core.v3.HttpProtocolOptions` on the HCM. Only max_stream_duration
 * means anything to a Worker: the others govern the downstream connection,
 * which Cloudflare (or workerd locally) owns — the Worker sees requests, never
 * connections.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/protocol.proto#config-core-v3-httpprotocoloptions
 */
const NO_CONNECTION = 'a Worker never sees the downstream connection (Cloudflare, or workerd locally, terminates it), so connection-level limits cannot be applied'
const downstreamProtocolOptions = envoyObject(
  { max_stream_duration: duration.optional() },
  {
    ignored: ['idle_timeout', 'max_connection_duration', 'max_headers_count', 'max_response_headers_kb', 'headers_with_underscores_action', 'max_requests_per_connection'],
    notes: {
      idle_timeout: NO_CONNECTION,
      max_connection_duration: NO_CONNECTION,
      max_requests_per_connection: NO_CONNECTION,
      max_headers_count: 'Cloudflare enforces its own request header limits',
      headers_with_underscores_action: 'headers with underscores are passed through (Envoy\'s default, ALLOW)',
    },
  },
)

export const httpConnectionManager = envoyObject(
  {
    '@type': z.string().optional(),
    stat_prefix: z.string().default(''),
    codec_type: envoyEnum(['AUTO', 'HTTP1', 'HTTP2', 'HTTP3'], { caseInsensitive: true }).optional(),
    route_config: routeConfiguration.optional(),
    rds: envoyObject({ config_source: configSource, route_config_name: z.string().min(1) }).optional(),
    http_filters: z.array(httpFilter).default([]),
    access_log: accessLogList.optional(),
    tracing: opaque.optional(),
    generate_request_id: wrapped(z.boolean()).optional(),
    preserve_external_request_id: z.boolean().optional(),
    use_remote_address: wrapped(z.boolean()).optional(),
    xff_num_trusted_hops: uint32.optional(),
    skip_xff_append: z.boolean().optional(),
    internal_address_config: internalAddressConfig.optional(),
    normalize_path: wrapped(z.boolean()).optional(),
    merge_slashes: z.boolean().optional(),
    path_with_escaped_slashes_action: envoyEnum(['IMPLEMENTATION_SPECIFIC_DEFAULT', 'KEEP_UNCHANGED', 'REJECT_REQUEST', 'UNESCAPE_AND_REDIRECT', 'UNESCAPE_AND_FORWARD'], { caseInsensitive: true }).optional(),
    strip_matching_host_port: z.boolean().optional(),
    strip_any_host_port: z.boolean().optional(),
    request_timeout: duration.optional(),
    stream_idle_timeout: duration.optional(),
    common_http_protocol_options: downstreamProtocolOptions.optional(),
    server_name: z.string().optional(),
    upgrade_configs: upgradeConfigList(hcmUpgradeConfig).optional(),
    local_reply_config: opaque.optional(),
  },
  {
    notApplied: {
      codec_type: 'Cloudflare and workerd negotiate HTTP/1.1, HTTP/2 and HTTP/3 with clients',
      server_name: 'responses keep the platform\'s server header',
      local_reply_config: 'local replies keep edgevoy\'s status codes and bodies',
    },
    ignored: [
      'add_user_agent', 'http_protocol_options', 'http2_protocol_options', 'http3_protocol_options',
      'server_header_transformation', 'scheme_header_transformation', 'max_request_headers_kb', 'request_headers_timeout',
      'drain_timeout', 'delayed_close_timeout', 'via', 'forward_client_cert_details',
      'set_current_client_cert_details', 'proxy_100_continue', 'represent_ipv4_remote_address_as_ipv4_mapped_ipv6',
      'request_id_extension', 'always_set_request_id_in_response',
      'stream_error_on_invalid_http_message', 'path_normalization_options', 'strip_trailing_host_dot', 'proxy_status_config',
      'typed_header_validation_config', 'append_x_forwarded_port', 'append_local_overload', 'early_header_mutation_extensions',
      'original_ip_detection_extensions', 'user_agent', 'access_log_options',
    ],
    notes: {
      http2_protocol_options: 'Cloudflare owns the downstream connections',
    },
    unsupported: { scoped_routes: 'scoped RDS is not implemented' },
  },
).superRefine((h, ctx) => unreadPerFilterConfigs(h, ctx), {
  // Also when something inside failed or warned: this warning must not hide behind another.
  when: (payload) => typeof payload.value === 'object' && payload.value !== null && Array.isArray((payload.value as { http_filters?: unknown }).http_filters),
}).superRefine(
  (h, ctx) => {
    if (warningMode.collecting) for (const w of websocketRouteWarnings(h)) ctx.addIssue({ code: 'custom', path: w.path, message: w.message, params: { kind: WARNING } })
  },
  // Runs beside other warnings and errors of the connection manager: a warning never hides another.
  { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
).transform((h, ctx) => {
  if (h.route_config === undefined && h.rds === undefined)
    ctx.addIssue({ code: 'custom', message: 'the HTTP connection manager needs route_config (or rds)', params: { kind: 'missing_route_config' } })
  return { ...h, parsedPerRoute: checkPerRouteFilterConfigs(h, ctx) }
})
export type HttpConnectionManagerConfig = z.output<typeof httpConnectionManager>

/**
 * A `typed_per_filter_config` entry that names no filter of the chain configures
 * nothing, in Envoy too (a filter looks its entry up by its config name, or by
 * its canonical name as a fallback): a warning, never dropped silently.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-route-typed-per-filter-config
 */
function unreadPerFilterConfigs(h: { http_filters: readonly { name?: unknown; typed_config?: unknown }[]; route_config?: unknown }, ctx: z.RefinementCtx): void {
  if (!warningMode.collecting) return
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  const declared = h.http_filters.flatMap((f) => (typeof f?.name === 'string' ? [f.name] : []))
  const names = new Set(
    h.http_filters.flatMap((f) => {
      if (typeof f?.name !== 'string') return []
      const type = isObject(f.typed_config) && typeof f.typed_config['@type'] === 'string' ? f.typed_config['@type'] : undefined
      return [f.name, knownFilterName(f.name, type) ?? f.name]
    }),
  )
  const checkLevel = (level: unknown, path: (string | number)[]) => {
    const per = isObject(level) ? level.typed_per_filter_config : undefined
    if (!isObject(per)) return
    for (const name of Object.keys(per))
      if (!names.has(name))
        ctx.addIssue({ code: 'custom', path: [...path, 'typed_per_filter_config', name], message: `typed_per_filter_config "${name}" names no filter of this connection manager's http_filters (${declared.join(', ')}): it configures nothing, as in Envoy`, params: { kind: WARNING } })
  }
  const rc = h.route_config
  if (!isObject(rc) || !Array.isArray(rc.virtual_hosts)) return
  rc.virtual_hosts.forEach((vh: unknown, i: number) => {
    const vhPath = ['route_config', 'virtual_hosts', i]
    checkLevel(vh, vhPath)
    if (isObject(vh) && Array.isArray(vh.routes)) vh.routes.forEach((r: unknown, j: number) => checkLevel(r, [...vhPath, 'routes', j]))
  })
}

/**
 * The per-route side of http_filters: each filter's `typed_per_filter_config`
 * on virtual hosts and routes (unwrapping `FilterConfig`), and the `cors`
 * policies, checked against the filter's schemas so they fail at load time
 * with a path and line rather than at the first request. Returns what parsed,
 * by the (output) object it was parsed from, so the compiler does not parse it again.
 */
function checkPerRouteFilterConfigs(
  h: { http_filters: readonly { name: string; typed_config?: Record<string, unknown> | undefined }[]; route_config?: unknown },
  ctx: z.RefinementCtx,
): WeakMap<object, unknown> {
  const done = new WeakMap<object, unknown>()
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  const report = (schema: z.ZodType, raw: Record<string, unknown>, path: (string | number)[]) => {
    const parsed = schema.safeParse(raw)
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [...path, ...issue.path] } as Parameters<typeof ctx.addIssue>[0])
    else done.set(raw, parsed.data)
  }
  const filters = h.http_filters.flatMap((f) => {
    const typeUrl = typeof f.typed_config?.['@type'] === 'string' ? (f.typed_config['@type'] as string) : undefined
    const known = knownFilterName(f.name, typeUrl)
    return known ? [{ name: f.name, schema: HTTP_FILTER_SCHEMAS[known]!.perRoute }] : []
  })
  const checkLevel = (level: Record<string, unknown>, path: (string | number)[]) => {
    const per = level.typed_per_filter_config
    if (isObject(per))
      for (const f of filters) {
        const raw = per[f.name]
        if (!isObject(raw)) continue
        const at = [...path, 'typed_per_filter_config', f.name]
        if (raw['@type'] === FILTER_CONFIG_TYPE) {
          report(routeFilterConfig, raw, at)
          if (isObject(raw.config) && f.schema) report(f.schema, raw.config, [...at, 'config'])
        } else if (f.schema && !(Object.keys(raw).length === 1 && raw.disabled === true)) report(f.schema, raw, at)
      }
  }
  const rc = h.route_config
  if (!isObject(rc) || !Array.isArray(rc.virtual_hosts)) return done
  rc.virtual_hosts.forEach((vh: unknown, i: number) => {
    if (!isObject(vh)) return
    const vhPath = ['route_config', 'virtual_hosts', i]
    checkLevel(vh, vhPath)
    if (isObject(vh.cors)) report(corsPolicy, vh.cors, [...vhPath, 'cors'])
    if (!Array.isArray(vh.routes)) return
    vh.routes.forEach((r: unknown, j: number) => {
      if (!isObject(r)) return
      checkLevel(r, [...vhPath, 'routes', j])
      if (isObject(r.route) && isObject(r.route.cors)) report(corsPolicy, r.route.cors, [...vhPath, 'routes', j, 'route', 'cors'])
    })
  })
  return done
}

/** A network filter. Only the HTTP connection manager is understood; its config is checked here. */
export const networkFilter = envoyObject({
  name: z.string().min(1),
  typed_config: opaque.optional(),
}).transform((f, ctx) => {
  const typeUrl = typeof f.typed_config?.['@type'] === 'string' ? (f.typed_config['@type'] as string) : undefined
  const isHcm = (HCM_NAMES as readonly string[]).includes(f.name) || (typeUrl !== undefined && (HCM_TYPES as readonly string[]).includes(typeUrl))
  if (!isHcm) {
    ctx.addIssue({
      code: 'custom',
      path: ['name'],
      message: `network filter "${f.name}" is not supported: edgevoy is an HTTP proxy and needs envoy.filters.network.http_connection_manager`,
      params: { kind: 'unsupported_filter' },
    })
    return z.NEVER
  }
  const key = 'typed_config'
  const parsed = httpConnectionManager.safeParse(f.typed_config ?? {})
  if (!parsed.success) {
    const onlyWarnings = parsed.error.issues.every((i) => (i as { params?: { kind?: string } }).params?.kind === WARNING)
    // Warnings do not abort (continue: true): the listener's own checks still run and see the connection manager.
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [key, ...issue.path], ...(onlyWarnings ? { continue: true } : {}) } as Parameters<typeof ctx.addIssue>[0])
    if (!onlyWarnings) return z.NEVER
    // Warnings only: the connection manager is valid; its value (for those checks) is the parse without them.
    warningMode.collecting = false
    const quiet = httpConnectionManager.safeParse(f.typed_config ?? {})
    warningMode.collecting = true
    return quiet.success ? { name: f.name, httpConnectionManager: quiet.data } : z.NEVER
  }
  return { name: f.name, httpConnectionManager: parsed.data }
})

export const filterChain = envoyObject(
  {
    filters: z.array(networkFilter).min(1),
    name: z.string().optional(),
    filter_chain_match: opaque.optional(),
  },
  {
    notApplied: { filter_chain_match: "edgevoy serves the listener's first filter chain to every request (Cloudflare terminates TLS, so SNI cannot choose)" },
    ignored: ['transport_socket', 'tls_context', 'use_proxy_proto', 'metadata', 'transport_socket_connect_timeout'],
    notes: {
      transport_socket: 'Cloudflare terminates TLS for the Worker',
      tls_context: 'Cloudflare terminates TLS for the Worker',
    },
  },
)

export const listener = envoyObject(
  {
    name: z.string().min(1).optional(),
    address: address,
    filter_chains: z.array(filterChain).min(1),
    per_connection_buffer_limit_bytes: wrapped(uint32).optional(),
  },
  {
    ignored: [
      'listener_filters', 'listener_filters_timeout', 'continue_on_listener_filters_timeout', 'traffic_direction', 'stat_prefix',
      'socket_options', 'tcp_fast_open_queue_length', 'drain_type', 'transparent', 'freebind', 'reuse_port', 'enable_reuse_port',
      'connection_balance_config', 'use_original_dst', 'access_log', 'metadata', 'default_filter_chain', 'udp_listener_config',
      'bind_to_port', 'enable_mptcp', 'ignore_global_conn_limit', 'additional_addresses', 'max_connections_to_accept_per_socket_event',
    ],
    notes: { default_filter_chain: 'edgevoy serves the first filter chain' },
    notApplied: { per_connection_buffer_limit_bytes: 'the Workers runtime owns downstream connections and their buffers' },
  },
).superRefine((l, ctx) => {
  // Envoy's edge best practices: a listener that faces the internet sets
  // use_remote_address: true, or clients choose x-forwarded-proto and keep
  // edge-only x-envoy-* headers.
  // https://www.envoyproxy.io/docs/envoy/latest/configuration/best_practices/edge
  if (!warningMode.collecting) return
  const hcm = l.filter_chains[0]?.filters[0]?.httpConnectionManager
  const bind = l.address?.socket_address?.address
  if (bind === undefined) return
  if (!hcm || hcm.use_remote_address === true || !facesInternet(bind)) return
  ctx.addIssue({
    code: 'custom',
    path: ['filter_chains', 0, 'filters', 0],
    message:
      `listener${l.name ? ` "${l.name}"` : ''} binds ${bind} without use_remote_address: true: if it faces the internet, clients choose ` +
      'x-forwarded-proto (require_tls, redirects) and keep edge-only x-envoy-* headers. Envoy\'s edge best practices set it: ' +
      'https://www.envoyproxy.io/docs/envoy/latest/configuration/best_practices/edge',
    params: { kind: WARNING },
  })
})
export type ListenerConfig = z.output<typeof listener>

/** A wildcard, or an IP literal that is neither loopback nor private (RFC 1918, RFC 4193): reachable from outside. */
function facesInternet(address: string): boolean {
  const a = address.toLowerCase()
  if (a === '0.0.0.0' || a === '::' || a === '[::]') return true
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(a)
  if (v4) {
    const [x, y] = [Number(v4[1]), Number(v4[2])]
    return !(x === 127 || x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168))
  }
  if (a.includes(':')) return !(a === '::1' || /^\[?f[cd]/.test(a) || /^\[?fe80:/.test(a))
  // A hostname: where it resolves is not known here.
  return false
}

