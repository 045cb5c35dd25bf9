/**
 * `edgevoy dev` on a bootstrap that has no listener of its own: listeners,
 * route configs and clusters all come from a REST-JSON xDS v3 control plane
 * (docs/xds.md, "Try it locally"), reached with the `--xds-token` bearer
 * token. The control plane is test/support/control-plane.ts, written from
 * Envoy's protocol docs, on 127.0.0.1; the upstream is a local HTTP server.
 *
 * Envoy: a bootstrap may hold only dynamic_resources (LDS and CDS) and the
 * cluster that reaches the control plane; RDS is named by each listener's
 * `rds.config_source`, and the resources are polled every `refresh_delay`.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/overview/examples#mostly-dynamic
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
 */
import { createServer, type Server } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlPlane, type ControlPlane } from '../support/control-plane'
import { cluster, connect1s } from '../support/envoy-config'
import { freePort, runCli, runCliToEnd, stopCli, type Cli } from './cli-process.js'

const TOKEN = 'xds-s3cret'
const REFRESH_S = 0.25
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'
const T = {
  listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  clusters: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
}

let cp: ControlPlane
let upstream: Server
let upstreamPort: number
let dir: string
let bootstrapFile: string
let dev: Cli
let url: string

const source = () => ({ resource_api_version: 'V3', api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: ['xds_cluster'], refresh_delay: `${REFRESH_S}s` } })

/** The bootstrap of docs/xds.md: node, dynamic_resources, and the one cluster that reaches the control plane. */
const bootstrap = (cpPort: number) => ({
  node: { id: 'edge-1', cluster: 'edge' },
  dynamic_resources: { lds_config: source(), cds_config: source() },
  static_resources: { clusters: [cluster('xds_cluster', connect1s(cpPort))] },
})

const listener = {
  '@type': T.listeners,
  name: 'edge',
  address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
  filter_chains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': HCM,
            stat_prefix: 'edge',
            rds: { route_config_name: 'edge_routes', config_source: source() },
            http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
          },
        },
      ],
    },
  ],
}

const routes = (body: string, lb = 'ROUND_ROBIN') => ({
  routes: {
    version: body,
    resources: [
      {
        '@type': T.routes,
        name: 'edge_routes',
        virtual_hosts: [
          {
            name: 'all',
            domains: ['*'],
            routes: [
              { match: { prefix: '/api' }, route: { cluster: 'service' } },
              { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: body } } },
            ],
          },
        ],
      },
    ],
  },
  clusters: {
    version: `c-${lb}`,
    resources: [
      { '@type': T.clusters, ...cluster('service', { endpoints: [upstreamPort], lb_policy: lb, connect_timeout: '1s' }) },
    ],
  },
})

const cpUrl = () => `http://127.0.0.1:${cp.port}`
const put = (snapshot: unknown) => fetch(`${cpUrl()}/__control/snapshot`, { method: 'PUT', body: JSON.stringify(snapshot) })
type Seen = { kind: string; resource_names?: string[]; authorization?: string; error_detail?: { message: string } }
const requests = async () => (await (await fetch(`${cpUrl()}/__control/requests`)).json()) as Seen[]

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<{ value: T; ms: number }> {
  const start = Date.now()
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return { value, ms: Date.now() - start }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}:\n${dev?.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
const text = async (path: string) => {
  const res = await fetch(`${url}${path}`)
  return { status: res.status, body: await res.text() }
}

beforeAll(async () => {
  cp = await startControlPlane({ token: TOKEN })
  upstream = createServer((req, res) => res.end(`upstream ${req.url}`))
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  upstreamPort = (upstream.address() as { port: number }).port
  dir = mkdtempSync(join(tmpdir(), 'edgevoy-xds-dev-'))
  bootstrapFile = join(dir, 'bootstrap.json')
  writeFileSync(bootstrapFile, JSON.stringify(bootstrap(cp.port)))
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  dev = runCli(['dev', '-c', bootstrapFile, '--port', String(port), '--xds-token', TOKEN], { ADMIN_TOKEN: '', XDS_TOKEN: '' })
  await dev.waitFor('serving on', 60_000)
}, 90_000)

afterAll(async () => {
  if (dev) await stopCli(dev)
  await cp?.close()
  upstream?.close()
})

describe('edgevoy dev with a dynamic-only bootstrap', () => {
  it('validate accepts it and names what is polled from where', async () => {
    const { code, output } = await runCliToEnd(['validate', '-c', bootstrapFile, '--target', 'local'])
    expect(code).toBe(0)
    expect(output).toContain('listeners (0):')
    expect(output).toContain(`xDS: LDS, RDS, CDS, EDS polled (REST) from http://127.0.0.1:${cp.port}/v3/discovery:* (cluster "xds_cluster") every ${REFRESH_S}s`)
  })

  it('starts without a listener of its own and answers 503 until the control plane has sent one', async () => {
    expect(dev.output()).toContain(`the first LDS listener serving on ${url} once the control plane sends it`)
    const before = await text('/')
    expect(before.status).toBe(503)
    expect(before.body).toContain('no listener yet')
  })

  it('serves the routes that come only from xDS (LDS → RDS, CDS), with the token on every request', async () => {
    await put({ ...routes('v1'), listeners: { version: 'l1', resources: [listener] } })
    const { value, ms } = await until('the first xDS config', async () => {
      const r = await text('/')
      return r.status === 200 ? r : undefined
    })
    console.log(`first config from the control plane served after ${ms} ms (refresh_delay ${REFRESH_S * 1000} ms)`)
    expect(value.body).toBe('v1')
    // Each poll round asks CDS, EDS, LDS, then RDS, one after another (xds/client.ts, Envoy's order). A
    // snapshot put on the control plane between a round's CDS and LDS requests reaches the listener one
    // round before its cluster; meanwhile /api answers 503 for the unknown cluster, as Envoy's would with
    // independent REST subscriptions (the xDS protocol's "eventual consistency considerations": only ADS
    // orders resources across types). So the cluster is awaited, and must follow within a round or two.
    const served = await until('the CDS cluster behind /api', async () => {
      const r = await text('/api/items')
      return r.status === 200 ? r : undefined
    })
    expect(served.value).toEqual({ status: 200, body: 'upstream /api/items' })
    expect(served.ms).toBeLessThan(3 * REFRESH_S * 1000 + 1000)
    const seen = await requests()
    expect(new Set(seen.map((r) => r.kind))).toEqual(new Set(['clusters', 'listeners', 'routes']))
    // RDS asks for the route config the LDS listener names (Envoy: RdsRouteConfigSubscription).
    expect(seen.filter((r) => r.kind === 'routes').at(-1)!.resource_names).toEqual(['edge_routes'])
    expect(seen.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true)
    await dev.waitFor('xDS update applied', 10_000)
  })

  it('applies a new RDS version on the next poll, without a restart', async () => {
    await put(routes('v2'))
    const { ms } = await until('route v2', async () => ((await text('/')).body === 'v2' ? true : undefined))
    console.log(`route update served after ${ms} ms`)
    expect(ms).toBeLessThan(15_000)
  })

  it('refuses a bad update whole (NACK with the reason) and keeps serving the last good one', async () => {
    await put(routes('v3', 'ROUND_ROBBIN'))
    // The whole line (output arrives in chunks: wait for all of it, not its start).
    await dev.waitFor(/xDS update rejected \(NACK sent, still serving the last good config\): Cluster "service": lb_policy: invalid value "ROUND_ROBBIN".*did you mean "ROUND_ROBIN"/, 15_000)
    expect(await text('/')).toEqual({ status: 200, body: 'v2' })
    // Envoy's ACK/NACK: the next request of the type carries error_detail.
    const { value: nack } = await until('a NACK', async () => (await requests()).find((r) => r.kind === 'clusters' && r.error_detail))
    expect(nack.error_detail!.message).toContain('ROUND_ROBBIN')
  })
})

describe('edgevoy dev without the xDS token', () => {
  it('says the control plane refused it and keeps answering 503; no config is applied', async () => {
    const port = await freePort()
    const noToken = runCli(['dev', '-c', bootstrapFile, '--port', String(port)], { ADMIN_TOKEN: '', XDS_TOKEN: '' })
    try {
      await noToken.waitFor('serving on', 60_000)
      await noToken.waitFor(/xDS control plane unreachable.*answered 401/, 20_000)
      const res = await fetch(`http://127.0.0.1:${port}/`)
      expect(res.status).toBe(503)
      expect(await res.text()).toContain('no listener yet')
    } finally {
      await stopCli(noToken)
    }
  }, 90_000)
})
