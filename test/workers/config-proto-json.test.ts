/**
 * Envoy reads YAML through protobuf's JSON parser with legacy syntax on
 * (protobuf json/internal/parser.cc ParseField: "The original ESF parser permits
 * a single element in place of an array thereof"), accepting lowerCamelCase
 * json_names beside proto names; real configs rely on both. Validation also
 * reports every problem at once: a nested failure or warning never hides an
 * enclosing object's own checks.
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { compileConfig } from '../../src/compile/index'

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'

/** A one-listener config whose route and cluster parts are spliced in as YAML text. */
function config(parts: { top?: string; hcm?: string; vhost?: string; route?: string; cluster?: string; clustersBlock?: string } = {}): string {
  return `${parts.top ?? ''}
static_resources:
  listeners:
  - name: edge
    address: {socket_address: {address: 0.0.0.0, port_value: 8080}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": ${HCM}
          stat_prefix: edge
${parts.hcm ?? ''}
          route_config:
            virtual_hosts:
            - name: all
${parts.vhost ?? '              domains: ["*"]'}
              routes:
              - match: {prefix: /}
${parts.route ?? '                route: {cluster: backend}'}
          http_filters: [{name: envoy.filters.http.router}]
${parts.clustersBlock ?? `  clusters:
  - name: backend
    type: STATIC
${parts.cluster ?? ''}
    load_assignment:
      cluster_name: backend
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 9000}}}}]}]`}
`
}

describe('a single value where Envoy expects a list (protobuf JSON legacy syntax)', () => {
  it('domains: "*" is a list of one, and the host routes', () => {
    const r = loadConfig(config({ vhost: '              domains: "*"' }))
    expect(r.errors).toEqual([])
    const vh = compileConfig(r.config!).listeners[0]!.routeTable.findVirtualHost('anything.example')
    expect(vh?.domains).toEqual(['*'])
    // The stored v3 JSON is canonical too (admin edits, xDS, config_dump read it).
    expect((r.config!.json as any).static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].domains).toEqual(['*'])
  })

  it('circuit_breakers.thresholds as one mapping', () => {
    const r = loadConfig(config({ cluster: '    circuit_breakers: {thresholds: {max_connections: 7, max_requests: 5}}' }))
    expect(r.errors).toEqual([])
    expect((r.config!.json as any).static_resources.clusters[0].circuit_breakers.thresholds).toEqual([{ max_connections: 7, max_requests: 5 }])
  })

  it('static_resources.clusters as one mapping (Google VRP edge config), so the route finds its cluster', () => {
    const text = config({
      clustersBlock: `  clusters:
    name: backend
    type: STATIC
    load_assignment:
      cluster_name: backend
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 9000}}}}]}]`,
    })
    const r = loadConfig(text)
    expect(r.errors).toEqual([])
    expect([...compileConfig(r.config!).clusters.keys()]).toEqual(['backend'])
  })

  it('response_headers_to_add as one mapping on a route', () => {
    const r = loadConfig(config({ route: `                route: {cluster: backend}
                response_headers_to_add: {header: {key: x-served-by, value: edge}}` }))
    expect(r.errors).toEqual([])
    const route = compileConfig(r.config!).listeners[0]!.routeTable.virtualHosts[0]!.routes[0]!
    expect(route.responseHeaders.add.map((h) => [h.key, h.value])).toEqual([['x-served-by', 'edge']])
  })

  it('an error inside the single element points at the user\'s line, under the field as written', () => {
    const text = config({ cluster: '    circuit_breakers: {thresholds: {max_connections: -1}}' })
    const r = loadConfig(text)
    expect(r.ok).toBe(false)
    const e = r.errors.find((i) => i.path.includes('max_connections'))!
    expect(e.path).toEqual(['static_resources', 'clusters', 0, 'circuit_breakers', 'thresholds', 'max_connections'])
    expect(e.line).toBe(text.split('\n').findIndex((l) => l.includes('circuit_breakers')) + 1)
  })

  it('a map is never wrapped: a scalar where a mapping is expected stays an error', () => {
    const r = loadConfig(config({ cluster: '    circuit_breakers: "lots"' }))
    expect(r.ok).toBe(false)
    expect(r.errors.map((e) => e.path.join('.'))).toContain('static_resources.clusters.0.circuit_breakers')
  })
})

describe('lowerCamelCase json names beside proto names', () => {
  it('connectTimeout, lbPolicy, loadAssignment and statPrefix load as their proto names', () => {
    const text = `
static_resources:
  listeners:
  - name: edge
    address: {socketAddress: {address: 0.0.0.0, portValue: 8080}}
    filterChains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typedConfig:
          "@type": ${HCM}
          statPrefix: edge
          routeConfig:
            virtualHosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: /}
                route: {cluster: backend, prefixRewrite: /v2/}
          httpFilters: [{name: envoy.filters.http.router}]
  clusters:
  - name: backend
    connectTimeout: 0.5s
    lbPolicy: LEAST_REQUEST
    loadAssignment:
      clusterName: backend
      endpoints: [{lbEndpoints: [{endpoint: {address: {socketAddress: {address: 127.0.0.1, portValue: 9000}}}}]}]
`
    const r = loadConfig(text)
    expect(r.errors).toEqual([])
    const snap = compileConfig(r.config!)
    expect(snap.listeners[0]!.port).toBe(8080)
    expect(snap.clusters.get('backend')!.lbPolicy).toBe('LEAST_REQUEST')
    expect(snap.clusters.get('backend')!.connectTimeoutMs).toBe(500)
    expect(snap.clusters.get('backend')!.hosts.map((h) => h.address)).toEqual(['127.0.0.1:9000'])
    const action = snap.listeners[0]!.routeTable.virtualHosts[0]!.routes[0]!.action
    expect(action.type === 'route' && action.pathRewrite).toEqual({ kind: 'prefix', prefix: '/v2/' })
  })

  it('map keys are names, not fields: a cluster called "myBackend" keeps its name', () => {
    const r = loadConfig(config({ route: '                route: {cluster: myBackend}', clustersBlock: `  clusters:
  - name: myBackend
    type: STATIC
    load_assignment: {cluster_name: myBackend, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 9000}}}}]}]}` }))
    expect(r.errors).toEqual([])
  })

  it('a camelCase name that is no field is still an unknown field, with a suggestion', () => {
    const r = loadConfig(config({ cluster: '    connectTimeoutt: 1s' }))
    expect(r.ok).toBe(false)
    expect(r.errors[0]!.message).toMatch(/unknown field "connectTimeoutt"/)
  })
})

describe('every problem at once: nested failures and warnings never hide an object\'s own checks', () => {
  it('a warning inside the connection manager keeps the bootstrap\'s and listener\'s warnings', () => {
    const r = loadConfig(config({
      top: 'layered_runtime: {}\noverload_manager: {}',
      route: '                route: {cluster: backend}\n                decorator: {operation: checkout}',
    }))
    expect(r.errors).toEqual([])
    const paths = r.warnings.map((w) => w.path.join('.'))
    expect(paths).toContain('layered_runtime')
    expect(paths).toContain('overload_manager')
    expect(paths.some((p) => p.endsWith('routes.0.decorator'))).toBe(true)
  })

  it('an unknown field is reported together with a missing required field of the same object', () => {
    const r = loadConfig(config({ clustersBlock: `  clusters:
  - type: STATIC
    lb_polcy: ROUND_ROBIN
    load_assignment: {cluster_name: backend, endpoints: []}` }))
    const messages = r.errors.map((e) => `${e.path.join('.')}: ${e.message}`)
    expect(messages.some((m) => m.startsWith('static_resources.clusters.0.name: required field is missing'))).toBe(true)
    expect(messages.some((m) => m.includes('unknown field "lb_polcy"') && m.includes('did you mean "lb_policy"'))).toBe(true)
  })

  it('xDS over ADS or a file says why, not "api_config_source is missing"', () => {
    const r = loadConfig(`
dynamic_resources:
  ads_config: {api_type: GRPC, grpc_services: [{envoy_grpc: {cluster_name: xds}}]}
  cds_config: {ads: {}}
  lds_config: {path: /etc/envoy/lds.yaml}
static_resources:
  clusters: []
`)
    const messages = r.errors.map((e) => `${e.path.join('.')}: ${e.message}`)
    expect(messages.some((m) => m.startsWith('dynamic_resources.cds_config.ads: ads is not supported') && m.includes('gRPC'))).toBe(true)
    expect(messages.some((m) => m.startsWith('dynamic_resources.lds_config.path: path is not supported') && m.includes('filesystem'))).toBe(true)
    expect(messages.some((m) => m.includes('api_config_source: required field is missing'))).toBe(false)
  })

  it('a unix-socket listener address gets its own message', () => {
    const text = config().replace('address: {socket_address: {address: 0.0.0.0, port_value: 8080}}', 'address: {pipe: {path: /tmp/envoy.sock}}')
    const r = loadConfig(text)
    const messages = r.errors.map((e) => `${e.path.join('.')}: ${e.message}`)
    expect(messages).toContainEqual(expect.stringMatching(/^static_resources\.listeners\.0\.address\.pipe: .*unix socket/))
    expect(messages.some((m) => m.includes('socket_address: required'))).toBe(false)
  })

  it('a cluster specifier plugin is named as the reason the route has no cluster', () => {
    const r = loadConfig(config({ route: '                route: {inline_cluster_specifier_plugin: {extension: {name: lua, typed_config: {}}}}' }))
    const messages = r.errors.map((e) => e.message)
    expect(messages).toContainEqual(expect.stringMatching(/^inline_cluster_specifier_plugin is not supported/))
    expect(messages.some((m) => m.includes('needs exactly one of cluster'))).toBe(false)
  })
})

describe('v2-era fields the v2 reader now knows', () => {
  it('HeaderMatcher.value → exact match; with regex: true → regex; empty → present', () => {
    const r = loadConfig(config({ route: `                route: {cluster: backend}` }).replace('- match: {prefix: /}', `- match:
                  prefix: /
                  headers:
                  - {name: content-type, value: application/grpc}
                  - {name: x-version, value: "v[0-9]+", regex: true}
                  - {name: x-present, value: ""}`))
    expect(r.errors).toEqual([])
    const headers = compileConfig(r.config!).listeners[0]!.routeTable.virtualHosts[0]!.routes[0]!.match.headers
    const req = (h: Record<string, string>) => ({ headers: new Headers(h), method: 'GET', authority: 'x', path: '/', scheme: 'http' })
    const all = (h: Record<string, string>) => headers.every((p) => p.test(req(h)))
    expect(all({ 'content-type': 'application/grpc', 'x-version': 'v12', 'x-present': 'yes' })).toBe(true)
    expect(all({ 'content-type': 'application/json', 'x-version': 'v12', 'x-present': 'yes' })).toBe(false)
    expect(all({ 'content-type': 'application/grpc', 'x-version': 'vX', 'x-present': 'yes' })).toBe(false)
    expect(all({ 'content-type': 'application/grpc', 'x-version': 'v1' })).toBe(false)
  })

  it('HCM idle_timeout moves to common_http_protocol_options (and the warning points at the line as written)', () => {
    const r = loadConfig(config({ hcm: '          idle_timeout: 0.840s' }))
    expect(r.errors).toEqual([])
    const hcm = (r.config!.json as any).static_resources.listeners[0].filter_chains[0].filters[0].typed_config
    expect(hcm.common_http_protocol_options.idle_timeout).toBe('0.840s')
    const text = config({ hcm: '          idle_timeout: 0.840s' })
    const w = r.warnings.find((i) => i.path.join('.').includes('typed_config.idle_timeout'))
    expect(w?.line).toBe(text.split('\n').findIndex((l) => l.includes('idle_timeout')) + 1)
  })

  it('http_health_check.service_name becomes service_name_matcher', () => {
    const r = loadConfig(config({ cluster: `    health_checks:
    - timeout: 1s
      interval: 5s
      unhealthy_threshold: 2
      healthy_threshold: 2
      http_health_check: {path: /health, service_name: test-service}` }))
    expect(r.errors).toEqual([])
    expect((r.config!.json as any).static_resources.clusters[0].health_checks[0].http_health_check.service_name_matcher).toEqual({ prefix: 'test-service' })
  })
})

describe('a field written with no value (null)', () => {
  // protobuf's JSON mapping: "null is accepted for all field types and treated as the
  // default value of the corresponding field type" (https://protobuf.dev/programming-guides/json/).
  it('a known field with no value is unset, as Envoy reads it', () => {
    const r = loadConfig(config({ hcm: '          stream_idle_timeout:\n          common_http_protocol_options:', cluster: '    per_connection_buffer_limit_bytes:' }))
    expect(r.errors).toEqual([])
    const hcm = (r.config!.json as any).static_resources.listeners[0].filter_chains[0].filters[0].typed_config
    expect('stream_idle_timeout' in hcm).toBe(false)
    // Envoy's default stream_idle_timeout (5 minutes) applies, as for an absent field.
    expect(compileConfig(r.config!).listeners[0]!.streamIdleTimeoutMs).toBe(300_000)
  })

  it('an unknown field with no value is a warning naming it, not an error: Envoy\'s own docs config has one', () => {
    // Envoy docs/root/configuration/http/http_filters/_include/compressor-filter.yaml (validated by
    // Envoy's CI: docs/BUILD "configs" → configs/BUILD example_configs) writes `uncompressible_response_code:`.
    const r = loadConfig(config({ vhost: '              domains: ["*"]\n              uncompressible_response_code:' }))
    expect(r.errors).toEqual([])
    const w = r.warnings.find((i) => i.path.at(-1) === 'uncompressible_response_code')
    expect(w?.message).toBe('unknown field "uncompressible_response_code" has no value and is ignored, as Envoy ignores it')
    // With a value it is what it always was: an error.
    const bad = loadConfig(config({ vhost: '              domains: ["*"]\n              uncompressible_response_code: [206]' }))
    expect(bad.errors[0]?.message).toBe('unknown field "uncompressible_response_code"')
  })
})

describe('configured but read by nothing: said, not dropped', () => {
  it('a typed_per_filter_config entry that names no filter of the chain is a warning (Envoy looks entries up by filter name, so it configures nothing there either)', () => {
    // https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-route-typed-per-filter-config
    const text = config({ vhost: `              domains: ["*"]\n              typed_per_filter_config:\n                envoy.filters.http.compression: {disabled: true}\n                envoy.filters.http.router: {}` })
    const r = loadConfig(text)
    expect(r.errors).toEqual([])
    const w = r.warnings.filter((i) => i.message.includes('names no filter'))
    expect(w.map((i) => i.path.at(-1))).toEqual(['envoy.filters.http.compression'])
    expect(w[0]!.message).toBe('typed_per_filter_config "envoy.filters.http.compression" names no filter of this connection manager\'s http_filters (envoy.filters.http.router): it configures nothing, as in Envoy')
    expect(w[0]!.line).toBe(text.split('\n').findIndex((l) => l.includes('envoy.filters.http.compression')) + 1)
  })

  it('compressor library tuning (levels, windows) is a warning: CompressionStream has fixed settings', () => {
    const r = loadConfig(config({ hcm: `          http_filters:
          - name: envoy.filters.http.compressor
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor
              compressor_library:
                name: text_optimized
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip
                  memory_level: 3
                  compression_level: BEST_COMPRESSION
          - name: envoy.filters.http.router` }).replace('          http_filters: [{name: envoy.filters.http.router}]\n', ''))
    expect(r.errors).toEqual([])
    expect(r.warnings.map((w) => w.message)).toContainEqual('compressor library settings memory_level, compression_level are not applied: Workers\' CompressionStream has fixed settings (the body is the same once decoded)')
  })

  it('a warning inside the connection manager does not hide the listener\'s own warning (use_remote_address)', () => {
    // Before: the HCM's warning (here a route decorator) made the network filter give no value, so the
    // listener check that reads it never ran — one of the lost warnings of the corpus report (W1).
    const plain = loadConfig(config())
    const nested = loadConfig(config({ route: '                route: {cluster: backend}\n                decorator: {operation: x}' }))
    const edge = (r: typeof plain) => r.warnings.filter((w) => w.message.includes('without use_remote_address'))
    expect(edge(plain)).toHaveLength(1)
    expect(edge(nested)).toHaveLength(1)
    expect(nested.warnings.some((w) => w.path.at(-1) === 'decorator')).toBe(true)
  })
})
