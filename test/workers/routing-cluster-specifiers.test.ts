/**
 * How a route names its cluster — cluster_header (pseudo-headers too),
 * weighted_clusters with header_name and per-entry cluster_header — and what
 * a request gets when the cluster does not exist (validate_clusters: false,
 * cluster_not_found_response_code). Through the real router app inside
 * workerd, against real upstreams on 127.0.0.1.
 *
 * Envoy: source/common/router/header_cluster_specifier.cc (the header's first
 * value names the cluster), weighted_cluster_specifier.cc (pickWeightedCluster:
 * header_name's value parsed by absl::SimpleAtoi, else the random value;
 * validateWeightedClusterSpecifier), config_impl.cc (ConfigImpl:
 * validate_clusters, default true for route_config and false for RDS;
 * RouteCreator::createAndValidateRoute), router.cc (an unknown cluster answers
 * cluster_not_found_response_code, flag NC).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-msg-config-route-v3-weightedcluster
 */
import { describe, expect, inject, it } from 'vitest'
import { validateConfig } from '../../src/config/load'
import { resourcesToBootstrap } from '../../src/xds/resources'
import { testApp, type Echo } from '../support/app'
import { anyHost, bootstrap, cluster, compileJson, HCM, ROUTER } from '../support/config'

const ups = inject('upstreams')
const json = async (r: Response) => (await r.json()) as Echo
const idOf = async (r: Response) => (r.status === 200 ? (await json(r)).id : r.status)

describe('cluster_header reads pseudo-headers like any header', () => {
  const snap = compileJson(
    bootstrap({
      virtual_hosts: anyHost([
        { match: { prefix: '/authority' }, route: { cluster_header: ':authority' } },
        { match: { prefix: '/path' }, route: { cluster_header: ':path' } },
        { match: { prefix: '/method' }, route: { cluster_header: ':method' } },
        { match: { prefix: '/scheme' }, route: { cluster_header: ':scheme' } },
        { match: { prefix: '/unknown-pseudo' }, route: { cluster_header: ':protocol' } },
        { match: { prefix: '/by-header-404' }, route: { cluster_header: 'x-cluster', cluster_not_found_response_code: 'NOT_FOUND' } },
        { match: { prefix: '/by-header-500' }, route: { cluster_header: 'X-Cluster', cluster_not_found_response_code: 'INTERNAL_SERVER_ERROR' } },
        { match: { prefix: '/' }, route: { cluster_header: 'x-cluster' } },
      ]),
      clusters: { 'one.example': [ups.a!], 'two.example:8080': [ups.b!], '/path/b?q=1': [ups.b!], GET: [ups.a!], POST: [ups.b!], http: [ups.a!], https: [ups.b!], a: [ups.a!] },
    }),
  )
  const { request } = testApp(snap)

  it(':authority names the cluster (the Host, port included), where edgevoy answered 500 before', async () => {
    expect(await idOf(await request('http://one.example/authority'))).toBe('a')
    expect(await idOf(await request('http://two.example:8080/authority'))).toBe('b')
    // A host that names no cluster: cluster_not_found_response_code's default.
    expect(await idOf(await request('http://three.example/authority'))).toBe(503)
  })
  it(':path is the path with its query, :method the method, :scheme the scheme', async () => {
    expect(await idOf(await request('http://x/path/b?q=1'))).toBe('b')
    expect(await idOf(await request('http://x/path/b'))).toBe(503)
    expect(await idOf(await request('http://x/method'))).toBe('a')
    expect(await idOf(await request('http://x/method', { method: 'POST', body: 'x' }))).toBe('b')
    expect(await idOf(await request('http://x/scheme'))).toBe('a')
    expect(await idOf(await request('https://x/scheme'))).toBe('b')
  })
  it('a pseudo-header the request does not have names no cluster: 503, not 500', async () => {
    const r = await request('http://x/unknown-pseudo')
    expect(r.status).toBe(503)
    expect(await r.text()).toBe('')
  })
  it('a missing or empty header names no cluster: cluster_not_found_response_code (503 default, 404, 500)', async () => {
    expect(await idOf(await request('http://x/'))).toBe(503)
    expect(await idOf(await request('http://x/', { headers: { 'x-cluster': '' } }))).toBe(503)
    expect(await idOf(await request('http://x/', { headers: { 'x-cluster': 'a' } }))).toBe('a')
    expect(await idOf(await request('http://x/by-header-404'))).toBe(404)
    expect(await idOf(await request('http://x/by-header-500', { headers: { 'x-cluster': 'nope' } }))).toBe(500)
    // The header name is matched case-insensitively, as HTTP header names are.
    expect(await idOf(await request('http://x/by-header-500', { headers: { 'x-cluster': 'a' } }))).toBe('a')
  })
})

describe('weighted_clusters.header_name: the pick’s value from a request header', () => {
  // a has [0, 1), b [1, 4): value % 4 picks.
  const weighted = (extra: Record<string, unknown> = {}) => ({ weighted_clusters: { header_name: 'X-Pick', clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }], ...extra } })
  const snap = compileJson(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: weighted() }]), clusters: { a: [ups.a!], b: [ups.b!] } }))
  // The fallback random value is always 0, which picks a: a header read picks b.
  const { request } = testApp(snap, { random: () => 0 })
  const pick = async (value?: string | string[]) => {
    const headers = new Headers()
    for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) headers.append('x-pick', v)
    return idOf(await request('http://x/', { headers }))
  }

  it('takes value % total weight from the header', async () => {
    expect(await pick('0')).toBe('a')
    expect(await pick('1')).toBe('b')
    expect(await pick('3')).toBe('b')
    expect(await pick('4')).toBe('a')
    expect(await pick('9')).toBe('b')
  })
  it('parses the value as absl::SimpleAtoi<uint64> does: "+", surrounding spaces, all 64 bits', async () => {
    expect(await pick('+5')).toBe('b')
    // 2^64 - 1 ≡ 3 (mod 4): read as a double it would round to 2^64 ≡ 0 and pick a.
    expect(await pick('18446744073709551615')).toBe('b')
  })
  it('falls back to the random value when the header is absent, not a uint64, or repeated', async () => {
    for (const v of [undefined, '', 'abc', '-1', '1.5', '0x1', '18446744073709551617', ['1', '1']]) expect(await pick(v as string | string[] | undefined)).toBe('a')
  })
  it('without header_name the random value picks, as before', async () => {
    const plain = compileJson(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }] } } }]), clusters: { a: [ups.a!], b: [ups.b!] } }))
    expect(await idOf(await testApp(plain, { random: () => 0.5 }).request('http://x/', { headers: { 'x-pick': '0' } }))).toBe('b')
  })
})

describe('cluster_header inside a weighted cluster', () => {
  const snap = compileJson(
    bootstrap({
      virtual_hosts: anyHost([
        {
          match: { prefix: '/404' },
          route: { cluster_not_found_response_code: 'NOT_FOUND', weighted_clusters: { header_name: 'x-pick', clusters: [{ cluster_header: 'x-target', weight: 1 }, { name: 'b', weight: 1 }] } },
        },
        {
          match: { prefix: '/authority' },
          route: { weighted_clusters: { header_name: 'x-pick', clusters: [{ cluster_header: ':authority', weight: 1, request_headers_to_add: [{ header: { key: 'x-entry', value: 'by-authority' } }] }, { name: 'b', weight: 1 }] } },
        },
        { match: { prefix: '/' }, route: { weighted_clusters: { header_name: 'x-pick', clusters: [{ cluster_header: 'x-target', weight: 1 }, { name: 'b', weight: 1 }] } } },
      ]),
      clusters: { a: [ups.a!], b: [ups.b!], 'c.example': [ups.c!] },
    }),
  )
  const { request } = testApp(snap)

  it('the entry picked reads its cluster from the header; the other entries keep their names', async () => {
    expect(await idOf(await request('http://x/', { headers: { 'x-pick': '0', 'x-target': 'a' } }))).toBe('a')
    expect(await idOf(await request('http://x/', { headers: { 'x-pick': '0', 'x-target': 'b' } }))).toBe('b')
    expect(await idOf(await request('http://x/', { headers: { 'x-pick': '1', 'x-target': 'a' } }))).toBe('b')
  })
  it('a pseudo-header works there too, with the entry’s header mutations', async () => {
    const echo = await json(await request('http://c.example/authority', { headers: { 'x-pick': '0' } }))
    expect(echo.id).toBe('c')
    expect(echo.headers['x-entry']).toBe('by-authority')
  })
  it('a missing header or an unknown name answers cluster_not_found_response_code', async () => {
    expect(await idOf(await request('http://x/', { headers: { 'x-pick': '0' } }))).toBe(503)
    expect(await idOf(await request('http://x/', { headers: { 'x-pick': '0', 'x-target': 'ghost' } }))).toBe(503)
    expect(await idOf(await request('http://x/404', { headers: { 'x-pick': '0' } }))).toBe(404)
  })
  it('an entry needs exactly one of name and cluster_header (validateWeightedClusterSpecifier)', () => {
    const check = (entry: Record<string, unknown>) => validateConfig(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [entry] } } }]), clusters: { a: [ups.a!] } }))
    const both = check({ name: 'a', cluster_header: 'x-c', weight: 1 })
    expect(both.ok).toBe(false)
    expect(both.errors.map((e) => e.message).join('\n')).toContain('only one of name or cluster_header')
    const neither = check({ weight: 1 })
    expect(neither.ok).toBe(false)
    expect(neither.errors.map((e) => e.message).join('\n')).toContain('needs one of name or cluster_header')
    expect(check({ cluster_header: 'x-c', weight: 1 }).ok).toBe(true)
  })
})

describe('route_config.validate_clusters: false', () => {
  const config = (rc: Record<string, unknown>) =>
    bootstrap({
      virtual_hosts: anyHost([
        { match: { prefix: '/ghost-404' }, route: { cluster: 'ghost', cluster_not_found_response_code: 'NOT_FOUND' } },
        { match: { prefix: '/ghost-500' }, route: { cluster: 'ghost', cluster_not_found_response_code: 'INTERNAL_SERVER_ERROR' } },
        { match: { prefix: '/ghost' }, route: { cluster: 'ghost' } },
        { match: { prefix: '/weighted' }, route: { weighted_clusters: { header_name: 'x-pick', clusters: [{ name: 'phantom', weight: 1 }, { name: 'a', weight: 1 }] } } },
        { match: { prefix: '/' }, route: { cluster: 'a', request_mirror_policies: [{ cluster: 'shadow-ghost' }] } },
      ]),
      route_config: rc,
      clusters: { a: [ups.a!] },
    })

  it('loads a route table naming clusters that do not exist, with a warning for each', () => {
    for (const flag of [false, { value: false }]) {
      const r = validateConfig(config({ validate_clusters: flag }))
      expect(r.errors).toEqual([])
      const missing = r.warnings.filter((w) => w.code === 'missing_cluster').map((w) => w.message)
      expect(missing).toHaveLength(5)
      expect(missing[0]).toContain('cluster_not_found_response_code')
    }
  })
  it('refuses them by default and with validate_clusters: true, as Envoy does for a route_config in the listener', () => {
    for (const rc of [{}, { validate_clusters: true }, { validate_clusters: { value: true } }]) {
      const r = validateConfig(config(rc))
      expect(r.ok).toBe(false)
      expect(r.errors.filter((e) => e.code === 'missing_cluster')).toHaveLength(5)
    }
  })
  it('answers cluster_not_found_response_code at request time: 503 by default, 404, 500; known clusters still serve', async () => {
    const { request } = testApp(compileJson(config({ validate_clusters: false })))
    const ghost = await request('http://x/ghost')
    expect(ghost.status).toBe(503)
    expect(await ghost.text()).toBe('')
    expect(await idOf(await request('http://x/ghost-404'))).toBe(404)
    expect(await idOf(await request('http://x/ghost-500'))).toBe(500)
    expect(await idOf(await request('http://x/weighted', { headers: { 'x-pick': '0' } }))).toBe(503)
    expect(await idOf(await request('http://x/weighted', { headers: { 'x-pick': '1' } }))).toBe('a')
    // A shadow to a missing cluster is not sent; the primary is unaffected.
    expect(await idOf(await request('http://x/'))).toBe('a')
  })
  it('a route table from RDS is not validated unless it says so (validate_clusters defaults to false there)', () => {
    const seed = {
      static_resources: {
        listeners: [
          {
            name: 'main',
            address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
            filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM, stat_prefix: 'in', rds: { route_config_name: 'r', config_source: { ads: {} } }, http_filters: [ROUTER] } }] }],
          },
        ],
        clusters: [cluster('a', [ups.a!])],
      },
    }
    const routes = (rc: Record<string, unknown>) => ({ name: 'r', virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'from-cds-later' } }]), ...rc })
    const fetched = (rc: Record<string, unknown>) => ({ listeners: [], clusters: [], routes: [routes(rc)], endpoints: [] })
    expect(validateConfig(resourcesToBootstrap(seed, fetched({}))).ok).toBe(true)
    expect(validateConfig(resourcesToBootstrap(seed, fetched({ validate_clusters: true }))).ok).toBe(false)
  })
})

describe('weighted_clusters.use_hash_policy: the route’s hash picks', () => {
  // Envoy's random_value_specifier.use_hash_policy: the hash policy's hash % total weight; header_name still comes first.
  const snap = compileJson(
    bootstrap({
      virtual_hosts: anyHost([
        { match: { prefix: '/' }, route: { hash_policy: [{ header: { header_name: 'x-user' } }], weighted_clusters: { use_hash_policy: true, header_name: 'x-pick', clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }, { name: 'c', weight: 1 }] } } },
      ]),
      clusters: { a: [ups.a!], b: [ups.b!], c: [ups.c!] },
    }),
  )

  it('one user always reaches the same cluster, whatever the random value; users spread over the clusters', async () => {
    const seen = new Set<string>()
    for (let u = 0; u < 24; u++) {
      const picks = new Set<string | number>()
      for (const r of [0, 0.5, 0.99]) picks.add(await idOf(await testApp(snap, { random: () => r }).request('http://x/', { headers: { 'x-user': `user-${u}` } })))
      expect(picks.size).toBe(1)
      seen.add(String([...picks][0]))
    }
    expect([...seen].sort()).toEqual(['a', 'b', 'c'])
  })
  it('without a hash (no x-user) the random value picks; header_name wins over the hash', async () => {
    expect(await idOf(await testApp(snap, { random: () => 0 }).request('http://x/'))).toBe('a')
    expect(await idOf(await testApp(snap, { random: () => 0.99 }).request('http://x/'))).toBe('c')
    for (let u = 0; u < 6; u++) expect(await idOf(await testApp(snap).request('http://x/', { headers: { 'x-user': `user-${u}`, 'x-pick': '1' } }))).toBe('b')
  })
})
