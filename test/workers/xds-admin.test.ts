/**
 * The xDS wiring end to end, inside workerd with the real config authority
 * and KV: sidecar configs through `PUT /__admin/nodes/:node/config`, served
 * at `POST /__admin/xds/v3/discovery:*` behind the admin token; and the
 * XdsPoller Durable Object publishing what a control plane serves through
 * the authority, so the Worker routes by it.
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
 */
import { createExecutionContext, env, runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import worker from '../../src/index'
import type { StateEnv } from '../../src/state/env'
import type { XdsPollerEnv } from '../../src/state/xds-poller'
import { TYPE_URLS } from '../../src/xds/resources'
import type { DiscoveryResponse } from '../../src/xds/server'
import { anyHost, bootstrap, cluster, connect1s, listener } from '../support/envoy-config'
import type { EchoBody } from '../support/upstream-types'

const upstreams = inject('upstreams')
const TOKEN = 'xds-admin-token'
const adminEnv = { ...(env as unknown as StateEnv), ADMIN_TOKEN: TOKEN, CONFIG_REFRESH_SECONDS: '0' } as StateEnv
const auth = { authorization: `Bearer ${TOKEN}` }
const call = (path: string, init: RequestInit = {}) =>
  worker.fetch(new Request(`http://edge.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>, adminEnv, createExecutionContext())
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  call(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })

/** Every request to the cluster `to`. */
const routeTo = (to: string) => anyHost([{ match: { prefix: '/' }, route: { cluster: to } }])
const sidecar = (port: number) => bootstrap({ virtual_hosts: routeTo('local_service'), clusters: { local_service: connect1s(port) } })

describe('admin xDS server', () => {
  it('PUT /nodes/:node/config, then POST /xds/v3/discovery:clusters: the node\'s clusters with a version, 304 at that version', async () => {
    const put = await call('/__admin/nodes/sidecar-1/config', { method: 'PUT', body: JSON.stringify(sidecar(9000)), headers: { ...auth, 'content-type': 'application/json' } })
    expect(put.status).toBe(201)
    expect(put.headers.get('etag')).toBe('"1"')
    const request = { version_info: '', node: { id: 'sidecar-1', cluster: 'mesh' }, resource_names: [], type_url: TYPE_URLS.clusters, response_nonce: '' }
    const res = await post('/__admin/xds/v3/discovery:clusters', request)
    expect(res.status).toBe(200)
    const dr = (await res.json()) as DiscoveryResponse
    expect(dr).toMatchObject({ version_info: '1', type_url: TYPE_URLS.clusters, resources: [{ '@type': TYPE_URLS.clusters, name: 'local_service' }] })
    expect((await post('/__admin/xds/v3/discovery:clusters', { ...request, version_info: '1', response_nonce: dr.nonce })).status).toBe(304)

    const get = await call('/__admin/nodes/sidecar-1/config', { headers: auth })
    expect(get.headers.get('etag')).toBe('"1"')
    expect((await call('/__admin/nodes/sidecar-1/config', { method: 'PUT', body: JSON.stringify(sidecar(9001)), headers: { ...auth, 'if-match': '"7"' } })).status).toBe(412)
    expect((await post('/__admin/xds/v3/discovery:clusters', request, {})).status).toBe(401)
  })
})

describe('XdsPoller Durable Object', () => {
  it('polls the control plane on its alarm and publishes through the config authority; the Worker routes by it', async () => {
    const res = await fetch(`http://127.0.0.1:${inject('upstreamControl')}/control-planes/xds-admin-poller`, { method: 'POST' })
    const { port } = (await res.json()) as { port: number }
    await fetch(`http://127.0.0.1:${port}/__control/snapshot`, {
      method: 'PUT',
      body: JSON.stringify({
        clusters: { version: 'c1', resources: [{ '@type': TYPE_URLS.clusters, ...cluster('service', connect1s(upstreams.b!)) }] },
        listeners: { version: 'l1', resources: [{ '@type': TYPE_URLS.listeners, ...listener({ virtual_hosts: routeTo('service') }) }] },
      }),
    })
    const rest = { api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: ['xds_cluster'], refresh_delay: '1s' } }
    const seed = { node: { id: 'edge-1' }, dynamic_resources: { lds_config: rest, cds_config: rest }, static_resources: { clusters: [cluster('xds_cluster', connect1s(port))] } }
    const ns = (env as unknown as XdsPollerEnv).XDS_POLLER!
    const poller = ns.get(ns.idFromName('global'))
    // start() sets the alarm for now: the first round runs at once (bounded wait for its report).
    await poller.start(seed)
    for (let i = 0; i < 100 && !(await poller.status()); i++) await new Promise((r) => setTimeout(r, 20))
    expect((await poller.status())?.outcome).toEqual({ kind: 'applied', versions: { clusters: 'c1', listeners: 'l1' } })
    const routed = await call('/anything')
    expect(((await routed.json()) as EchoBody).id).toBe('b')
    // The next alarm is one refresh_delay away; running it now finds nothing new (304s).
    expect(await runDurableObjectAlarm(poller)).toBe(true)
    expect((await poller.status())?.outcome).toEqual({ kind: 'unchanged' })
    await poller.stop()
  })
})
