/**
 * edgevoy as a REST-JSON xDS v3 client, against a small control plane written
 * from Envoy's protocol docs (test/support/control-plane.ts, a real HTTP server
 * on 127.0.0.1): what it serves is what routes; a new version applies on the
 * next poll; an invalid one is NACKed with error_detail naming the problem and
 * routing stays on the last good version.
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#ack-nack-and-resource-type-instance-version
 */
import { afterAll, describe, expect, inject, it } from 'vitest'
import { compileConfig } from '../../src/compile/index'
import { validateConfig } from '../../src/config/load'
import { xdsTick, type PollerStore, type PollReport } from '../../src/state/xds-poller'
import type { PublishResult } from '../../src/xds/client'
import { TYPE_URLS } from '../../src/xds/resources'
import { testApp, type Echo } from '../support/app'
import { cluster, connect1s } from '../support/envoy-config'
import { serve } from '../../src/state/serving'
import { createExecutionContext } from 'cloudflare:test'

const upstreams = inject('upstreams')
const REFRESH_MS = 250

const rest = (refresh = `${REFRESH_MS / 1000}s`) => ({ api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: ['xds_cluster'], refresh_delay: refresh } })
const seedFor = (cpPort: number) => ({
  node: { id: 'edge-1', cluster: 'edge' },
  dynamic_resources: { lds_config: { resource_api_version: 'V3', ...rest() }, cds_config: { resource_api_version: 'V3', ...rest() } },
  static_resources: {
    clusters: [cluster('xds_cluster', connect1s(cpPort))],
  },
})

// Real DiscoveryResponse resources, as a Go/Java control plane would serve them.
const cdsCluster = (extra: Record<string, unknown> = {}) => ({
  '@type': TYPE_URLS.clusters, name: 'service', type: 'EDS', connect_timeout: '0.25s', lb_policy: 'ROUND_ROBIN',
  eds_cluster_config: { service_name: 'service', eds_config: { resource_api_version: 'V3', ...rest() } }, ...extra,
})
const assignment = (port: number) => ({
  '@type': TYPE_URLS.endpoints, cluster_name: 'service',
  endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }],
})
const ldsListener = {
  '@type': TYPE_URLS.listeners, name: 'edge',
  address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
  filter_chains: [{ filters: [{
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: 'edge',
      rds: { route_config_name: 'edge_route', config_source: { resource_api_version: 'V3', ...rest() } },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
    },
  }] }],
}
const rdsRoute = { '@type': TYPE_URLS.routes, name: 'edge_route', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'service' } }] }] }

async function controlPlane(id: string) {
  const res = await fetch(`http://127.0.0.1:${inject('upstreamControl')}/control-planes/${id}`, { method: 'POST' })
  const { port } = (await res.json()) as { port: number }
  const base = `http://127.0.0.1:${port}`
  return {
    port,
    serve: async (snapshot: Record<string, { version: string; resources: unknown[] }>) => {
      expect((await fetch(`${base}/__control/snapshot`, { method: 'PUT', body: JSON.stringify(snapshot) })).status).toBe(200)
    },
    requests: async () => (await (await fetch(`${base}/__control/requests`)).json()) as { kind: string; version_info?: string; response_nonce?: string; error_detail?: { code: number; message: string }; resource_names?: string[] }[],
  }
}

/** What the XdsPoller Durable Object does, alarm by alarm: tick, then sleep the returned delay. */
function runPoller(seed: Record<string, unknown>) {
  const storage = new Map<string, unknown>([['seed', seed]])
  const store: PollerStore = { get: async (k) => structuredClone(storage.get(k)) as never, put: async (k, v) => void storage.set(k, structuredClone(v)) }
  const reports: PollReport[] = []
  let app: ReturnType<typeof testApp> | undefined
  let stopped = false
  const publish = async (json: unknown): Promise<PublishResult> => {
    const loaded = validateConfig(json)
    if (!loaded.ok) return { ok: false, message: 'publisher refused' }
    app = testApp(compileConfig(loaded.config))
    return { ok: true }
  }
  const loop = (async () => {
    for (let i = 0; i < 200 && !stopped; i++) {
      const ran = await xdsTick(store, { fetch: (u, init) => fetch(u, init), publish })
      reports.push(ran!.report)
      await new Promise((r) => setTimeout(r, ran!.nextInMs))
    }
  })()
  return {
    reports,
    upstreamNow: async () => ((await (await app!.request('http://edge.test/x')).json()) as Echo).id,
    /** Wait (bounded) until a report matching `pred` arrives after index `from`. */
    async until(pred: (r: PollReport) => boolean, from = 0, limitMs = 5000) {
      const start = Date.now()
      while (Date.now() - start < limitMs) {
        const hit = reports.slice(from).find(pred)
        if (hit) return hit
        await new Promise((r) => setTimeout(r, 10))
      }
      throw new Error(`no matching poll report in ${limitMs}ms: ${JSON.stringify(reports.slice(from))}`)
    },
    stop: async () => {
      stopped = true
      await loop
    },
  }
}

describe('REST xDS client', () => {
  const pollers: { stop(): Promise<void> }[] = []
  afterAll(async () => {
    for (const p of pollers) await p.stop()
  })

  it('routes by what the control plane serves, applies a new version within one refresh_delay, NACKs an invalid one', async () => {
    const cp = await controlPlane('xds-client-main')
    await cp.serve({
      clusters: { version: 'c1', resources: [cdsCluster()] },
      endpoints: { version: 'e1', resources: [assignment(upstreams.a!)] },
      listeners: { version: 'l1', resources: [ldsListener] },
      routes: { version: 'r1', resources: [rdsRoute] },
    })
    const seed = seedFor(cp.port)
    expect(validateConfig(seed).errors).toEqual([])
    const poller = runPoller(seed)
    pollers.push(poller)

    await poller.until((r) => r.outcome.kind === 'applied')
    expect(await poller.upstreamNow()).toBe('a')
    // Unchanged polls get 304 and publish nothing.
    await poller.until((r) => r.outcome.kind === 'unchanged')

    // A new EDS version: applied by the next poll, so within one refresh_delay.
    const changedAt = Date.now()
    const from = poller.reports.length
    await cp.serve({ endpoints: { version: 'e2', resources: [assignment(upstreams.b!)] } })
    const applied = await poller.until((r) => r.outcome.kind === 'applied', from)
    const tookMs = Date.now() - changedAt
    expect(applied.outcome).toEqual({ kind: 'applied', versions: { endpoints: 'e2' } })
    expect(await poller.upstreamNow()).toBe('b')
    // Applied by the first poll after the change: at most one refresh_delay, plus the round's own requests.
    expect(tookMs).toBeLessThan(REFRESH_MS + 250)

    // The ACK rides on the next request: version_info e2 and that response's nonce.
    await poller.until((r) => r.outcome.kind === 'unchanged', poller.reports.length)
    const eds = (await cp.requests()).filter((r) => r.kind === 'endpoints')
    expect(eds.at(-1)).toMatchObject({ version_info: 'e2', resource_names: ['service'], type_url: TYPE_URLS.endpoints })
    expect(eds.at(-1)!.response_nonce).toMatch(/^n\d+$/)
    expect(eds.at(-1)!.error_detail).toBeUndefined()

    // An invalid CDS version: NACKed with the reason; routing stays on the last good version.
    const before = poller.reports.length
    await cp.serve({ clusters: { version: 'c2', resources: [cdsCluster({ lb_policy: 'ROUND_ROBBIN' })] } })
    const rejected = await poller.until((r) => r.outcome.kind === 'rejected', before)
    expect(rejected.outcome.kind === 'rejected' && rejected.outcome.message).toContain('ROUND_ROBBIN')
    expect(rejected.versions.clusters).toBe('c1')
    expect(await poller.upstreamNow()).toBe('b')
    await poller.until((r) => r.outcome.kind === 'rejected', poller.reports.length)
    const nack = (await cp.requests()).filter((r) => r.kind === 'clusters').at(-1)!
    expect(nack.version_info).toBe('c1')
    expect(nack.error_detail?.code).toBe(3)
    expect(nack.error_detail?.message).toContain('Cluster "service": lb_policy: invalid value "ROUND_ROBBIN"')
    expect(nack.error_detail?.message).toContain('ROUND_ROBBIN')

    // Fixed: the next version applies and the NACK is cleared.
    const fixFrom = poller.reports.length
    await cp.serve({ clusters: { version: 'c3', resources: [cdsCluster({ lb_policy: 'RANDOM' })] } })
    expect((await poller.until((r) => r.outcome.kind === 'applied', fixFrom)).versions.clusters).toBe('c3')
    await poller.until((r) => r.outcome.kind === 'unchanged', poller.reports.length)
    const ack = (await cp.requests()).filter((r) => r.kind === 'clusters').at(-1)!
    expect(ack.version_info).toBe('c3')
    expect(ack.error_detail).toBeUndefined()
    await poller.stop()
  })

  // The most common xDS layout: static listener and clusters, routes over RDS
  // and endpoints over EDS only — no dynamic_resources at all.
  // https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/rds
  it('polls RDS for a static listener using rds and EDS for a static EDS cluster, with no dynamic_resources', async () => {
    const cp = await controlPlane('xds-client-static-rds')
    await cp.serve({ endpoints: { version: 'e1', resources: [assignment(upstreams.a!)] }, routes: { version: 'r1', resources: [rdsRoute] } })
    const { '@type': _l, ...staticListener } = ldsListener
    const { '@type': _c, ...staticCluster } = cdsCluster()
    const seed = {
      node: { id: 'edge-1', cluster: 'edge' },
      static_resources: { listeners: [staticListener], clusters: [...seedFor(cp.port).static_resources.clusters, staticCluster] },
    }
    expect(validateConfig(seed).errors).toEqual([])
    const poller = runPoller(seed)
    pollers.push(poller)
    const applied = await poller.until((r) => r.outcome.kind === 'applied')
    expect(applied.outcome).toEqual({ kind: 'applied', versions: { endpoints: 'e1', routes: 'r1' } })
    expect(await poller.upstreamNow()).toBe('a')
    const from = poller.reports.length
    await cp.serve({ endpoints: { version: 'e2', resources: [assignment(upstreams.b!)] } })
    await poller.until((r) => r.outcome.kind === 'applied', from)
    expect(await poller.upstreamNow()).toBe('b')
    const kinds = new Set((await cp.requests()).map((r) => r.kind))
    expect([...kinds].sort()).toEqual(['endpoints', 'routes'])
    await poller.stop()
  })

  it('NACKs an update that names an RDS route config the control plane does not serve', async () => {
    const cp = await controlPlane('xds-client-rds')
    await cp.serve({
      clusters: { version: '1', resources: [cdsCluster()] },
      endpoints: { version: '1', resources: [assignment(upstreams.a!)] },
      listeners: { version: '1', resources: [ldsListener] },
    })
    const poller = runPoller(seedFor(cp.port))
    pollers.push(poller)
    const rejected = await poller.until((r) => r.outcome.kind === 'rejected')
    expect(rejected.outcome.kind === 'rejected' && rejected.outcome.message).toContain('route_config_name "edge_route"')
    await poller.stop()
  })
})

describe('dynamic_resources validation', () => {
  const withSource = (api: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    validateConfig({ dynamic_resources: { cds_config: { api_config_source: { cluster_names: ['x'], refresh_delay: '1s', ...api } }, ...extra } })

  it('accepts REST v3', () => {
    expect(withSource({ api_type: 'REST', transport_api_version: 'V3' }).errors).toEqual([])
  })

  it.each(['GRPC', 'DELTA_GRPC', 'AGGREGATED_GRPC'])('rejects api_type %s: Workers cannot hold gRPC streams', (apiType) => {
    const errors = withSource({ api_type: apiType }).errors
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toContain('Workers cannot hold gRPC streams')
    expect(errors[0]!.path).toEqual(['dynamic_resources', 'cds_config', 'api_config_source', 'api_type'])
  })

  it('rejects ads_config and grpc_services with the same reason, and REST without refresh_delay as Envoy does', () => {
    expect(withSource({ api_type: 'REST' }, { ads_config: { api_type: 'GRPC' } }).errors.map((e) => e.message).join()).toContain('Workers cannot hold gRPC streams')
    expect(withSource({ api_type: 'REST', grpc_services: [] }).errors.map((e) => e.message).join()).toContain('Workers cannot hold gRPC streams')
    const noDelay = validateConfig({ dynamic_resources: { lds_config: { api_config_source: { api_type: 'REST', cluster_names: ['x'] } } } })
    expect(noDelay.errors.map((e) => e.message)).toEqual(['refresh_delay is required for REST API configuration sources'])
  })
})

describe('a bootstrap that only has dynamic_resources', () => {
  it('answers 503 until the control plane delivers listeners, instead of failing', async () => {
    const loaded = validateConfig({
      dynamic_resources: { lds_config: { api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: ['xds'], refresh_delay: '1s' } } },
      static_resources: { clusters: [cluster('xds', [])] },
    })
    expect(loaded.errors).toEqual([])
    const served = serve(compileConfig(loaded.config!), undefined, { fetch, bindings: {}, random: Math.random, now: Date.now })
    const res = await served.fetch(new Request('http://edge.test/'), {}, createExecutionContext())
    expect(res.status).toBe(503)
    expect(await res.text()).toMatch(/waiting for the first config from the control plane/)
  })
})
