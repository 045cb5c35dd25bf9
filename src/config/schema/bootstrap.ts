/**
 * `config.bootstrap.v3.Bootstrap`: the top of an Envoy config file.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/bootstrap/v3/bootstrap.proto
 */
import { z } from 'zod'
import { envoyObject, opaque } from './envoy-object.js'
import { cluster } from './cluster.js'
import { dynamicResources } from './dynamic.js'
import { address, listener } from './listener.js'
import { secret } from './filters/oauth2.js'

const admin = envoyObject(
  { address: address.optional(), access_log_path: z.string().optional(), access_log: z.array(opaque).optional(), profile_path: z.string().optional() },
  {
    ignored: ['socket_options', 'ignore_global_conn_limit'],
    notApplied: Object.fromEntries(
      ['address', 'access_log_path', 'access_log', 'profile_path'].map((f) => [f, 'the admin API is served by the Worker under ADMIN_PREFIX (/__admin) with ADMIN_TOKEN, not by an admin listener']),
    ),
  },
)

export const staticResources = envoyObject(
  {
    listeners: z.array(listener).default([]),
    clusters: z.array(cluster).default([]),
    // Generic secrets are what the oauth2 filter's SDS names resolve to; TLS secrets are ignored (Cloudflare terminates TLS).
    secrets: z.array(secret).optional(),
  },
)

export const bootstrap = envoyObject(
  {
    node: opaque.optional(),
    static_resources: staticResources.optional(),
    dynamic_resources: dynamicResources.optional(),
    admin: admin.optional(),
    tracing: opaque.optional(),
  },
  {
    ignored: [
      'cluster_manager', 'hds_config', 'flags_path', 'stats_sinks', 'stats_config', 'stats_flush_interval', 'stats_flush_on_admin',
      'watchdog', 'watchdogs', 'layered_runtime', 'runtime', 'overload_manager', 'enable_dispatcher_stats', 'header_prefix',
      'stats_server_version_override', 'use_tcp_for_dns_lookups', 'dns_resolution_config', 'typed_dns_resolver_config',
      'bootstrap_extensions', 'fatal_actions', 'config_sources', 'default_config_source', 'default_socket_interface',
      'certificate_provider_instances', 'inline_headers', 'perf_tracing_file_path', 'default_regex_engine', 'xds_delegate_extension',
      'xds_config_tracker_extension', 'listener_manager', 'application_log_config', 'grpc_async_client_manager_config', 'node_context_params',
    ],
    notes: { layered_runtime: 'Envoy runtime is not available on Workers', stats_sinks: 'stats are served by the admin API' },
  },
)
export type BootstrapConfig = z.output<typeof bootstrap>
