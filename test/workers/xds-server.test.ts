/**
 * edgevoy as a REST-JSON xDS v3 server, driven by a client written from
 * Envoy's protocol docs (below, `sidecar`): DiscoveryRequest in, DiscoveryResponse
 * with `Any` resources out, filtered by resource_names, 304 at the current version.
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/service/discovery/v3/discovery.proto
 */
import { env, runInDurableObject } from 'cloudflare:test'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { compileConfig } from '../../src/compile/index'
import { validateConfig } from '../../src/config/load'
import type { StateEnv } from '../../src/state/env'
import { nodeConfigGetter, putNodeConfig, sqlNodeStore, type NodeConfigStorage, type StoredNodeConfig } from '../../src/xds/nodes'
import { bootstrapToResources, resourcesToBootstrap, TYPE_URLS, unpackAny } from '../../src/xds/resources'
import { xdsRoutes, type DiscoveryRequest, type DiscoveryResponse } from '../../src/xds/server'
import { anyHost, bootstrap } from '../support/envoy-config'

/** A sidecar's listener `ingress` (route config `local_route`) to service_a, and service_b with `extraCluster`. */
const sidecarConfig = (port: number, extraCluster = false) =>
  bootstrap({
    listener: { name: 'ingress' },
    route_config: { name: 'local_route' },
    virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'service_a' } }]),
    clusters: { service_a: [port], ...(extraCluster ? { service_b: [port + 1] } : {}) },
  })

/** An in-memory NodeConfigStorage with the same contract as sqlNodeStore. */
function memoryStore(): NodeConfigStorage & { map: Map<string, StoredNodeConfig> } {
  const map = new Map<string, StoredNodeConfig>()
  return {
    map,
    get: (node) => map.get(node),
    put(node, json, ifMatch) {
      const current = map.get(node)?.version ?? 0
      if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current) return { ok: false, current }
      map.set(node, { version: current + 1, json, updatedAt: new Date().toISOString() })
      return { ok: true, version: current + 1, created: current === 0 }
    },
  }
}

function setup() {
  const store = memoryStore()
  const nacks: DiscoveryRequest[] = []
  const app = new Hono().route('/__admin/xds', xdsRoutes(nodeConfigGetter(store), { onNack: (_n, _k, r) => nacks.push(r) }))
  const post = (kind: string, body: DiscoveryRequest) =>
    app.request(`http://edge.test/__admin/xds/v3/discovery:${kind}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { store, nacks, post }
}

/**
 * What Envoy's HTTP subscription does, per the protocol doc: POST a
 * DiscoveryRequest carrying the last applied version_info and the last
 * nonce; on 200 apply and remember both; on 304 keep what it has.
 */
function sidecar(post: (kind: string, body: DiscoveryRequest) => Response | Promise<Response>, node: { id: string; cluster: string }) {
  const subs: Record<string, { version: string; nonce: string; resources: Record<string, unknown>[] }> = {}
  return async (kind: keyof typeof TYPE_URLS, resourceNames: string[] = []) => {
    const sub = (subs[kind] ??= { version: '', nonce: '', resources: [] })
    const res = await post(kind, { version_info: sub.version, node, resource_names: resourceNames, type_url: TYPE_URLS[kind], response_nonce: sub.nonce })
    if (res.status === 304) return { status: 304, response: undefined as DiscoveryResponse | undefined, ...sub }
    expect(res.status).toBe(200)
    const dr = (await res.json()) as DiscoveryResponse
    subs[kind] = { version: dr.version_info, nonce: dr.nonce, resources: dr.resources.map((a) => unpackAny(kind, a)) }
    return { status: 200, response: dr as DiscoveryResponse | undefined, ...subs[kind]! }
  }
}

describe('REST xDS server', () => {
  it('answers a CDS DiscoveryRequest with the node\'s clusters and a version, then 304 at that version', async () => {
    const { store, post } = setup()
    expect((await putNodeConfig(store, 'sidecar-1', sidecarConfig(9000))).status).toBe(201)
    const request = { node: { id: 'sidecar-1', cluster: 'mesh' }, resource_names: [], type_url: TYPE_URLS.clusters, version_info: '', response_nonce: '' }
    const first = await post('clusters', request)
    expect(first.status).toBe(200)
    const dr = (await first.json()) as DiscoveryResponse
    expect(dr.version_info).toBe('1')
    expect(dr.type_url).toBe('type.googleapis.com/envoy.config.cluster.v3.Cluster')
    expect(dr.nonce).toMatch(/\S/)
    expect(dr.resources).toHaveLength(1)
    expect(dr.resources[0]).toMatchObject({ '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'service_a', type: 'STATIC' })
    expect(dr.resources[0]!.load_assignment).toMatchObject({ cluster_name: 'service_a' })

    const again = await post('clusters', { ...request, version_info: dr.version_info, response_nonce: dr.nonce })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })

  it('serves a new version after PUT /nodes/:node/config, and the sidecar ACKs it on its next poll', async () => {
    const { store, post } = setup()
    await putNodeConfig(store, 'sidecar-1', sidecarConfig(9000))
    const poll = sidecar(post, { id: 'sidecar-1', cluster: 'mesh' })
    expect((await poll('clusters')).resources.map((c) => c.name)).toEqual(['service_a'])
    expect((await poll('clusters')).status).toBe(304)
    const put = await putNodeConfig(store, 'sidecar-1', sidecarConfig(9000, true), 1)
    expect(put).toMatchObject({ status: 200, body: { version: 2 } })
    const next = await poll('clusters')
    expect(next.status).toBe(200)
    expect(next.version).toBe('2')
    expect(next.resources.map((c) => c.name)).toEqual(['service_a', 'service_b'])
    expect((await poll('clusters')).status).toBe(304)
  })

  it('filters EDS and RDS by resource_names; a different set at the same version is answered, not 304', async () => {
    const { store, post } = setup()
    await putNodeConfig(store, 'sidecar-1', sidecarConfig(9000, true))
    const poll = sidecar(post, { id: 'sidecar-1', cluster: 'mesh' })
    const eds = await poll('endpoints', ['service_b'])
    expect(eds.response!.resources).toEqual([expect.objectContaining({ '@type': TYPE_URLS.endpoints, cluster_name: 'service_b' })])
    expect((await poll('endpoints', ['service_b'])).status).toBe(304)
    const both = await poll('endpoints', ['service_a', 'service_b'])
    expect(both.status).toBe(200)
    expect(both.resources.map((r) => r.cluster_name).sort()).toEqual(['service_a', 'service_b'])
    // LDS is a wildcard subscription; the listener keeps its inline route_config, which RDS also serves by name.
    const lds = await poll('listeners')
    expect(lds.response!.resources[0]).toMatchObject({ '@type': TYPE_URLS.listeners, name: 'ingress' })
    const rds = await poll('routes', ['local_route'])
    expect(rds.response!.resources).toEqual([expect.objectContaining({ '@type': TYPE_URLS.routes, name: 'local_route' })])
    expect((await poll('routes', ['nope'])).resources).toEqual([])
    // Non-wildcard types with no names get nothing; '*' asks for everything.
    expect((await poll('endpoints', ['*'])).resources).toHaveLength(2)
  })

  it('looks the node up by node.id, then node.cluster; unknown nodes get 404, a wrong type_url 400', async () => {
    const { store, post } = setup()
    await putNodeConfig(store, 'mesh', sidecarConfig(9000))
    const byCluster = await post('clusters', { node: { id: 'pod-7', cluster: 'mesh' } })
    expect(byCluster.status).toBe(200)
    expect((await post('clusters', { node: { id: 'pod-7', cluster: 'elsewhere' } })).status).toBe(404)
    expect((await post('clusters', { node: { id: 'mesh' }, type_url: TYPE_URLS.listeners })).status).toBe(400)
    expect((await post('clusters', {})).status).toBe(400)
  })

  it('hears NACKs (error_detail) and keeps serving the current version', async () => {
    const { store, nacks, post } = setup()
    await putNodeConfig(store, 'sidecar-1', sidecarConfig(9000))
    const res = await post('clusters', { node: { id: 'sidecar-1' }, version_info: '', response_nonce: 'n1', error_detail: { code: 3, message: 'bad cluster' } })
    expect(res.status).toBe(200)
    expect(nacks).toEqual([expect.objectContaining({ error_detail: { code: 3, message: 'bad cluster' } })])
  })

  it('PUT /nodes/:node/config refuses an invalid config with every error, and a stale If-Match with 412', async () => {
    const store = memoryStore()
    const bad = await putNodeConfig(store, 'sidecar-1', { static_resources: { clusters: [{ name: 'x', lb_policy: 'ROUND_ROBBIN' }] } })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('ROUND_ROBBIN')
    expect(store.map.size).toBe(0)
    await putNodeConfig(store, 'sidecar-1', sidecarConfig(9000))
    expect(await putNodeConfig(store, 'sidecar-1', sidecarConfig(9001), 7)).toMatchObject({ status: 412, headers: { etag: '"1"' } })
    expect((await putNodeConfig(store, 'bad node!', sidecarConfig(9000))).status).toBe(400)
  })

  it('sqlNodeStore keeps versions per node in Durable Object SQLite storage', async () => {
    const ns = (env as unknown as StateEnv).CONFIG_AUTHORITY!
    const stub = ns.get(ns.idFromName('xds-node-store-test'))
    await runInDurableObject(stub, async (_instance, state) => {
      const store = sqlNodeStore(state.storage.sql)
      expect(await putNodeConfig(store, 'n1', sidecarConfig(9000))).toMatchObject({ status: 201, body: { version: 1 } })
      expect(await putNodeConfig(store, 'n1', sidecarConfig(9001), 1)).toMatchObject({ status: 200, body: { version: 2 } })
      expect(await putNodeConfig(store, 'n1', sidecarConfig(9002), 1)).toMatchObject({ status: 412 })
      const got = await nodeConfigGetter(store)('n1', '')
      expect(got?.version).toBe(2)
      expect(JSON.stringify(got?.json)).toContain('9001')
    })
  })

  it('resources round-trip: served LDS/CDS/EDS/RDS assemble back into a config that validates and compiles', () => {
    const config = sidecarConfig(9000, true)
    const set = bootstrapToResources(config)
    // As a client would get them: EDS clusters and an RDS listener.
    const clusters = [...set.clusters.values()].map((c) => ({ ...c, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } }, load_assignment: undefined }))
    const listeners = [...set.listeners.values()].map((l) => structuredClone(l))
    const hcm = (listeners[0]!.filter_chains as { filters: { typed_config: Record<string, unknown> }[] }[])[0]!.filters[0]!.typed_config
    delete hcm.route_config
    hcm.rds = { route_config_name: 'local_route', config_source: { ads: {} } }
    const assembled = resourcesToBootstrap({}, { listeners, routes: [...set.routes.values()], clusters: clusters.map((c) => JSON.parse(JSON.stringify(c))), endpoints: [...set.endpoints.values()] })
    const loaded = validateConfig(assembled)
    expect(loaded.errors).toEqual([])
    const snapshot = compileConfig(loaded.config!)
    expect(snapshot.listeners.map((l) => l.name)).toEqual(['ingress'])
    expect([...snapshot.clusters.keys()].sort()).toEqual(['service_a', 'service_b'])
  })
})
