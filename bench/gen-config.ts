/**
 * Synthetic Envoy v3 bootstraps for the benchmarks: N routes over many virtual
 * hosts in the mix real front proxies carry (prefixes sharing stems, exact
 * paths, regexes, header and query matchers), and a request mix that hits
 * early routes, late routes and no route at all. Deterministic: the same N
 * always gives the same config and requests, so runs compare.
 */

export const BENCH_UPSTREAM_HOST = 'bench_upstream'

/** One request of the mix: what routing sees. */
export interface BenchRequest {
  readonly kind: 'early' | 'late' | 'none'
  readonly authority: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
}

interface Rt {
  match: Record<string, unknown>
  route: Record<string, unknown>
}

/** The route at position `i` of a virtual host: the kind cycles so every stretch of the table has the whole mix. */
function routeAt(vh: number, i: number, cluster: string, withRetries: boolean): Rt {
  const svc = `svc${i}`
  const route: Record<string, unknown> = { cluster, timeout: '5s' }
  if (withRetries) route.retry_policy = { retry_on: '5xx,reset', num_retries: 2 }
  switch (i % 10) {
    case 0:
    case 1:
      // Stems shared by many routes: /api/v1/... and /api/v2/...
      return { match: { prefix: `/api/v${1 + (i % 2)}/${svc}/` }, route }
    case 2:
      return { match: { path: `/static/${svc}/index.html` }, route }
    case 3:
      return { match: { prefix: `/api/v1/${svc}/admin`, headers: [{ name: 'x-tenant', string_match: { exact: `t${vh}` } }] }, route }
    case 4:
      // Regexes: ids in the middle of the path.
      return { match: { safe_regex: { regex: `/users/[0-9]+/${svc}/orders` } }, route }
    case 5:
      return { match: { path_separated_prefix: `/docs/${svc}` }, route }
    case 6:
      return { match: { prefix: `/v2/${svc}`, query_parameters: [{ name: 'beta', string_match: { exact: '1' } }] }, route }
    case 7:
      return { match: { prefix: `/m/${svc}/`, headers: [{ name: ':method', string_match: { exact: 'POST' } }] }, route }
    case 8:
      return { match: { path: `/health/${svc}` }, route }
    default:
      return { match: { prefix: `/shop/${svc}/cart` }, route }
  }
}

/** A request that the route at position `i` of virtual host `vh` matches. */
function requestFor(vh: number, i: number, authority: string, kind: BenchRequest['kind']): BenchRequest {
  const svc = `svc${i}`
  const plain = (path: string, headers: Record<string, string> = {}): BenchRequest => ({ kind, authority, path, headers })
  switch (i % 10) {
    case 0:
    case 1:
      return plain(`/api/v${1 + (i % 2)}/${svc}/items/42?page=2`)
    case 2:
      return plain(`/static/${svc}/index.html`)
    case 3:
      return plain(`/api/v1/${svc}/admin/users`, { 'x-tenant': `t${vh}` })
    case 4:
      return plain(`/users/12345/${svc}/orders`)
    case 5:
      return plain(`/docs/${svc}/intro`)
    case 6:
      return plain(`/v2/${svc}/things?beta=1`)
    case 7:
      return plain(`/m/${svc}/submit`, { ':method': 'POST' })
    case 8:
      return plain(`/health/${svc}`)
    default:
      return plain(`/shop/${svc}/cart/checkout`)
  }
}

export interface GeneratedConfig {
  readonly routes: number
  readonly virtualHosts: number
  readonly clusters: number
  /** The bootstrap as JSON text (JSON is YAML, so loadConfig reads it). */
  readonly text: string
  readonly requests: readonly BenchRequest[]
}

/**
 * `routes` routes: half in one big virtual host (`api.example.com`, where a
 * linear scan hurts most), the rest spread over √routes smaller hosts with
 * exact and wildcard domains. `clusters` clusters, all resolving to one local
 * upstream host name.
 */
export function generateConfig(routes: number, options: { clusters?: number; upstreamPort?: number; withRetries?: boolean } = {}): GeneratedConfig {
  const clusterCount = options.clusters ?? Math.max(1, Math.round(routes / 10))
  const vhostCount = Math.max(2, Math.round(Math.sqrt(routes)))
  const big = Math.ceil(routes / 2)
  const perSmall = Math.max(1, Math.ceil((routes - big) / (vhostCount - 1)))
  const virtualHosts: Record<string, unknown>[] = []
  const requests: BenchRequest[] = []
  let made = 0
  let clusterIdx = 0
  for (let vh = 0; vh < vhostCount && made < routes; vh++) {
    const count = Math.min(vh === 0 ? big : perSmall, routes - made)
    const domains = vh === 0 ? ['api.example.com'] : vh % 3 === 0 ? [`*.tenant${vh}.example.com`] : [`host${vh}.example.com`, `host${vh}.example.com:8080`]
    const authority = vh === 0 ? 'api.example.com' : vh % 3 === 0 ? `www.tenant${vh}.example.com` : `host${vh}.example.com`
    const rs: Rt[] = []
    for (let i = 0; i < count; i++) rs.push(routeAt(vh, i, `cluster_${clusterIdx++ % clusterCount}`, options.withRetries === true))
    virtualHosts.push({ name: `vh${vh}`, domains, routes: rs })
    made += count
    // Early: the first tenth of the table; late: the last tenth; none: a path no route has.
    const tenth = Math.max(1, Math.floor(count / 10))
    // Half the traffic goes to the big API host, as it holds half the routes.
    const weight = vh === 0 ? vhostCount - 1 : 1
    for (let k = 0; k < weight; k++) {
      requests.push(requestFor(vh, (k * 7) % tenth, authority, 'early'))
      requests.push(requestFor(vh, count - 1 - ((k * 7) % tenth), authority, 'late'))
      requests.push({ kind: 'none', authority, path: `/nothing/here/${k}`, headers: {} })
    }
  }
  // An authority no virtual host claims: Envoy answers 404 before any route.
  requests.push({ kind: 'none', authority: 'unknown.example.org', path: '/api/v1/svc0/items', headers: {} })
  const clusters = Array.from({ length: clusterCount }, (_, k) => ({
    name: `cluster_${k}`,
    connect_timeout: '0.25s',
    type: 'STRICT_DNS',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: `cluster_${k}`,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: BENCH_UPSTREAM_HOST, port_value: options.upstreamPort ?? 8080 } } } }] }],
    },
  }))
  const bootstrap = {
    static_resources: {
      listeners: [
        {
          name: 'bench_listener',
          address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'ingress',
                    route_config: { name: 'bench_routes', virtual_hosts: virtualHosts },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters,
    },
  }
  return { routes: made, virtualHosts: virtualHosts.length, clusters: clusterCount, text: JSON.stringify(bootstrap), requests }
}
