/**
 * Loading Envoy configs: the article's v2 configs verbatim, v3 shapes, and
 * every error at once with its path and line.
 */
import { describe, expect, it } from 'vitest'
import frontEnvoy from '../../routes/front-envoy.yaml'
import serviceA from '../../routes/service-a.yaml'
import serviceB from '../../routes/service-b.yaml'
import serviceC from '../../routes/service-c.yaml'
import threeErrors from '../fixtures/three-errors.yaml'
import { formatPath } from '../../src/config/issues'
import { loadConfig } from '../../src/config/load'
import { compileConfig } from '../../src/compile/index'
import { bootstrap } from '../support/config'

describe("the article's configs load verbatim", () => {
  it.each([
    ['front-envoy', frontEnvoy, ['http_listener']],
    ['service-a', serviceA, ['service-a-svc-http-listener', 'service-b-svc-http-listener', 'service-c-svc-http-listener']],
    ['service-b', serviceB, ['service-b-svc-http-listener']],
    ['service-c', serviceC, ['service-c-svc-http-listener']],
  ])('%s', (_name, text, listeners) => {
    const r = loadConfig(text)
    expect(r.errors).toEqual([])
    const snap = compileConfig(r.config!)
    expect(snap.listeners.map((l) => l.name)).toEqual(listeners)
  })

  it('normalizes the v2 shapes into v3: filter_chains mapping, config:, envoy.* names, hosts:, lower-case enums', () => {
    const r = loadConfig(frontEnvoy)
    const json = r.config!.json as any
    const chain = json.static_resources.listeners[0].filter_chains
    expect(Array.isArray(chain)).toBe(true)
    const hcm = chain[0].filters[0]
    expect(hcm.name).toBe('envoy.filters.network.http_connection_manager')
    expect(hcm.typed_config['@type']).toMatch(/http_connection_manager\.v3\.HttpConnectionManager$/)
    expect(hcm.typed_config.http_filters[0].name).toBe('envoy.filters.http.router')
    const cluster = json.static_resources.clusters[0]
    expect(cluster.type).toBe('STRICT_DNS')
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'service_a_envoy', port_value: 8786 })
    // The normalized form loads again, unchanged: it is valid v3.
    const again = loadConfig(JSON.stringify(json))
    expect(again.ok).toBe(true)
    expect(again.config!.json).toEqual(json)
  })
})

describe('errors: where and what, all at once', () => {
  it('reports a typo in lb_policy, a missing cluster and a lookahead regex together, with paths and lines', () => {
    const r = loadConfig(threeErrors)
    expect(r.ok).toBe(false)
    const byPath = Object.fromEntries(r.errors.map((e) => [formatPath(e.path), e]))
    const lb = byPath['static_resources.clusters[0].lb_policy']!
    expect(lb.line).toBe(26)
    expect(lb.message).toContain('did you mean "ROUND_ROBIN"?')
    const route = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0]'
    expect(byPath[`${route}.route.cluster`]?.message).toContain('"api"')
    expect(byPath[`${route}.route.cluster`]?.line).toBe(17)
    expect(byPath[`${route}.match.safe_regex.regex`]?.message).toMatch(/lookahead/)
    expect(byPath[`${route}.match.safe_regex.regex`]?.line).toBe(16)
    expect(r.errors).toHaveLength(3)
  })

  it('points into the v2 text when the error is in a v2 shape', () => {
    const text = frontEnvoy.replace('cluster: "service_a"', 'cluster: "service_b"').replace('port_value: 8786', 'port_value: 99999')
    const r = loadConfig(text)
    const paths = r.errors.map((e) => formatPath(e.path))
    // filter_chains is a mapping in this file, and hosts: a list: the paths say so.
    expect(paths).toContain('static_resources.listeners[0].filter_chains.filters[0].config.route_config.virtual_hosts[0].routes[0].route.cluster')
    expect(paths).toContain('static_resources.clusters[0].hosts[0].socket_address.port_value')
    for (const e of r.errors) expect(e.line).toBeGreaterThan(0)
  })

  it('rejects unknown fields with a suggestion, as Envoy rejects unknown proto fields', () => {
    const doc = bootstrap({ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefx: '/' }, direct_response: { status: 200 } }] }] })
    const r = loadConfig(JSON.stringify(doc))
    expect(r.errors.map((e) => e.message).join('\n')).toMatch(/unknown field "prefx" \(did you mean "prefix"\?\)/)
  })

  it('catches duplicate clusters, duplicate domains and weights that do not add up', () => {
    const doc = bootstrap({
      virtual_hosts: [
        { name: 'a', domains: ['x.com', '*'], routes: [{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'c1', weight: 30 }, { name: 'c1', weight: 30 }], total_weight: 100 } } }] },
        { name: 'b', domains: ['X.com'], routes: [] },
      ],
      clusters: { c1: [1] },
    })
    ;(doc as any).static_resources.clusters.push({ ...(doc as any).static_resources.clusters[0] })
    const codes = loadConfig(JSON.stringify(doc)).errors.map((e) => e.code)
    expect(codes).toEqual(expect.arrayContaining(['duplicate_cluster', 'duplicate_domain', 'weights']))
  })

  it('rejects what RE2 does not support: backreferences', () => {
    const doc = bootstrap({ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { safe_regex: { regex: '/(a)\\1' } }, direct_response: { status: 200 } }] }] })
    const r = loadConfig(JSON.stringify(doc))
    expect(r.errors[0]?.message).toMatch(/backreference/i)
  })

  it('says that fields it does not act on are ignored (a warning), and rejects those that would change routing', () => {
    const doc = bootstrap({ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/', dynamic_metadata: [{ filter: 'f', path: [{ key: 'k' }], value: { string_match: { exact: 'v' } } }] }, direct_response: { status: 200 } }] }] })
    const bad = loadConfig(JSON.stringify(doc))
    expect(bad.errors[0]?.message).toMatch(/dynamic_metadata is not supported/)
    const ok = bootstrap({ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 }, decorator: { operation: 'x' } }] }], hcm: { via: 'edgevoy' } })
    const r = loadConfig(JSON.stringify(ok))
    expect(r.ok).toBe(true)
    expect(r.warnings.map((w) => formatPath(w.path))).toEqual(
      expect.arrayContaining([expect.stringMatching(/routes\[0\]\.decorator$/), expect.stringMatching(/typed_config\.via$/)]),
    )
  })

  it('reports YAML syntax errors with their line', () => {
    const r = loadConfig('static_resources:\n  clusters: [\n')
    expect(r.ok).toBe(false)
    expect(r.errors[0]?.line).toBeGreaterThan(0)
  })
})
