/** Build small Envoy v3 configs in tests, and compile them as the Worker does. */
import { compileConfig } from '../../src/compile/index'
import type { Snapshot } from '../../src/compile/types'
import { formatIssue } from '../../src/config/issues'
import { loadConfig, validateConfig } from '../../src/config/load'

export const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'
export const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }

export interface TestConfig {
  virtual_hosts: unknown[]
  clusters?: Record<string, number[] | string[]>
  route_config?: Record<string, unknown>
  hcm?: Record<string, unknown>
  http_filters?: unknown[]
}

/** A one-listener bootstrap; clusters map name → ports on 127.0.0.1 (or "host:port" strings). */
export function bootstrap(t: TestConfig): Record<string, unknown> {
  return {
    static_resources: {
      listeners: [
        {
          name: 'main',
          address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
          filter_chains: [
            {
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
        },
      ],
      clusters: Object.entries(t.clusters ?? {}).map(([name, eps]) => ({
        name,
        connect_timeout: '0.25s',
        type: 'STATIC',
        lb_policy: 'ROUND_ROBIN',
        load_assignment: {
          cluster_name: name,
          endpoints: [
            {
              lb_endpoints: eps.map((e) => {
                const [address, port] = typeof e === 'number' ? ['127.0.0.1', e] : [e.split(':')[0], Number(e.split(':')[1])]
                return { endpoint: { address: { socket_address: { address, port_value: port } } } }
              }),
            },
          ],
        },
      })),
    },
  }
}

export function compileJson(doc: unknown, version = 'test'): Snapshot {
  const r = validateConfig(doc)
  if (!r.ok) throw new Error(r.errors.map((e) => formatIssue(e)).join('\n'))
  return compileConfig(r.config, { version })
}

export function compileYaml(text: string, version = 'test'): Snapshot {
  const r = loadConfig(text)
  if (!r.ok) throw new Error(r.errors.map((e) => formatIssue(e)).join('\n'))
  return compileConfig(r.config, { version })
}

/** One virtual host `*` with these routes. */
export const anyHost = (routes: unknown[], extra: Record<string, unknown> = {}) => [{ name: 'any', domains: ['*'], routes, ...extra }]
