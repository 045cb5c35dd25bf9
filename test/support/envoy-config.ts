/**
 * Envoy v3 bootstrap configs for tests: one listener with one HTTP
 * connection manager, and clusters whose endpoints are ports on 127.0.0.1.
 * The one place the listener/bootstrap preamble is written, for node tests
 * (which write the YAML to a file for the CLI) and workerd tests alike — so
 * nothing here imports node: modules or the compiler (test/support/config.ts
 * adds compiling on top).
 * Shapes: https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/bootstrap/v3/bootstrap.proto
 */
import { stringify } from 'yaml'

export const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'
export const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }

/** A port on 127.0.0.1, a "host:port" string, or an endpoint with its priority and EDS health_status. */
export type EndpointSpec = number | string | { port: number; address?: string; priority?: number; health_status?: string }

/** A cluster's endpoints, or its endpoints and any other cluster fields (health_checks, outlier_detection, type, …). */
export type ClusterSpec = readonly EndpointSpec[] | ({ endpoints: readonly EndpointSpec[] } & Record<string, unknown>)

export interface TestConfig {
  /** The route_config's virtual hosts; see `anyHost`. */
  virtual_hosts: unknown[]
  /** Cluster name → its spec. Clusters are STATIC, ROUND_ROBIN, connect_timeout 0.25s unless the spec says otherwise. */
  clusters?: Record<string, ClusterSpec>
  /** Fields merged into route_config (name `local` by default). */
  route_config?: Record<string, unknown>
  /** Fields merged into the HttpConnectionManager (stat_prefix `ingress` by default; access_log, …). */
  hcm?: Record<string, unknown>
  /** The http_filters; the router alone by default. */
  http_filters?: unknown[]
  /** Fields merged into the listener (name `main` by default). */
  listener?: Record<string, unknown>
  /** Fields beside the one filter chain's filters (filter_chain_match, …). */
  filter_chain?: Record<string, unknown>
  /** Bootstrap fields beside static_resources: node, tracing, dynamic_resources, … */
  top_level?: Record<string, unknown>
  /** static_resources fields beside listeners and clusters: secrets, … */
  static_resources?: Record<string, unknown>
}

/** The shape `bootstrap` returns, for tests that read a config back (GET /__admin/config). */
export interface BootstrapJson {
  static_resources: {
    listeners: { name: string; filter_chains: { filters: { name: string; typed_config: { route_config: { virtual_hosts: { name: string; routes: Record<string, unknown>[] }[] } } }[] }[] }[]
    clusters: Record<string, unknown>[]
  }
}

/** One virtual host `any` for every domain, with these routes. */
export const anyHost = (routes: unknown[], extra: Record<string, unknown> = {}) => [{ name: 'any', domains: ['*'], routes, ...extra }]

/** A one-listener bootstrap. */
export function bootstrap(t: TestConfig): Record<string, unknown> {
  return {
    ...t.top_level,
    static_resources: {
      ...t.static_resources,
      listeners: [listener(t)],
      clusters: Object.entries(t.clusters ?? {}).map(([name, spec]) => cluster(name, spec)),
    },
  }
}

/** The bootstrap's listener alone: with its `@type`, an LDS resource. */
export function listener(t: Omit<TestConfig, 'clusters' | 'top_level' | 'static_resources'>): Record<string, unknown> {
  return {
    name: 'main',
    address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
    ...t.listener,
    filter_chains: [
      {
        ...t.filter_chain,
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: 'ingress',
              route_config: { name: 'local', virtual_hosts: t.virtual_hosts, ...t.route_config },
              http_filters: t.http_filters ?? [ROUTER],
              ...t.hcm,
            },
          },
        ],
      },
    ],
  }
}

/** The same bootstrap as YAML text, for a config file or an admin PUT. */
export const bootstrapYaml = (t: TestConfig): string => stringify(bootstrap(t))

/** Envoy's stdout access log with a text format (`\n` ends each line, as Envoy needs). */
export const stdoutAccessLog = (textFormat: string): unknown[] => [
  {
    name: 'envoy.access_loggers.stdout',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog', log_format: { text_format: textFormat } },
  },
]

/** One of the bootstrap's clusters: with its `@type`, a CDS resource. */
export function cluster(name: string, spec: ClusterSpec): Record<string, unknown> {
  const { endpoints, ...fields } = isEndpointList(spec) ? { endpoints: spec } : spec
  // One locality per priority, in the order priorities first appear.
  const byPriority = new Map<number, unknown[]>()
  for (const e of endpoints) {
    const { address, port, priority, health_status } = endpoint(e)
    const lb = { endpoint: { address: { socket_address: { address, port_value: port } } }, ...(health_status ? { health_status } : {}) }
    byPriority.set(priority, [...(byPriority.get(priority) ?? []), lb])
  }
  const prioritized = endpoints.some((e) => typeof e === 'object' && e.priority !== undefined)
  return {
    name,
    connect_timeout: '0.25s',
    type: 'STATIC',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: name,
      endpoints: [...byPriority].map(([priority, lb_endpoints]) => (prioritized ? { priority, lb_endpoints } : { lb_endpoints })),
    },
    ...fields,
  }
}

/** A cluster spec: one endpoint on 127.0.0.1 and connect_timeout 1s instead of the default 0.25s. */
export const connect1s = (port: number): ClusterSpec => ({ endpoints: [port], connect_timeout: '1s' })

const isEndpointList = (spec: ClusterSpec): spec is readonly EndpointSpec[] => Array.isArray(spec)

function endpoint(e: EndpointSpec): { address: string; port: number; priority: number; health_status?: string } {
  if (typeof e === 'number') return { address: '127.0.0.1', port: e, priority: 0 }
  if (typeof e === 'string') {
    const at = e.lastIndexOf(':')
    return { address: e.slice(0, at), port: Number(e.slice(at + 1)), priority: 0 }
  }
  return { address: e.address ?? '127.0.0.1', port: e.port, priority: e.priority ?? 0, health_status: e.health_status }
}
