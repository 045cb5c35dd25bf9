/**
 * The whole Kubernetes path without a cluster: the stand-in API server says
 * which pods back Service A, k8s-sync writes them into node "gateway"'s
 * config (deploy/nodes/gateway.yaml, as shipped) on a real `edgevoy dev`,
 * and a second `edgevoy dev` — the gateway Envoy, started from a REST
 * dynamic_resources bootstrap (docs/xds.md) — takes its listener and
 * clusters over xDS and balances over the pods: local HTTP servers on
 * 127.0.0.11-13, all on one port, as pods share a port on different IPs.
 */
import { createServer, type Server } from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cluster } from '../support/envoy-config'
import { freePort, runCli, stopCli, type Cli } from './cli-process.js'
import { ADMIN_TOKEN, FakeKubeApi, nodeState, startControlPlane, startSync, storeNode, tmp, until } from './k8s-harness.js'

const NS = 'mesh'
const REFRESH_MS = 250
const IPS = ['127.0.0.11', '127.0.0.12', '127.0.0.13']
// Generous for a loaded 2-core machine; the measured times are printed.
const SLACK_MS = 1500

let api: FakeKubeApi
let control: Awaited<ReturnType<typeof startControlPlane>>
let sync: Cli
let sidecar: Cli
let sidecarUrl: string
let podPort: number
const pods: Server[] = []

const pod = (i: number, extra: { terminating?: boolean } = {}) => ({ name: `servicea-${i + 1}`, ip: IPS[i]!, ...extra })
const setPods = (list: ReturnType<typeof pod>[]) => api.setPods(NS, 'servicea', { name: 'envoy-web', port: podPort }, list)

/** Three "pods" on one port, one per loopback address; each answers with its name. */
async function startPods(): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = await freePort()
    const started: Server[] = []
    try {
      for (const [i, ip] of IPS.entries()) {
        const server = createServer((_req, res) => res.end(`pod-${i + 1}`))
        await new Promise<void>((resolve, reject) => (server.once('error', reject), server.listen(port, ip, () => resolve())))
        started.push(server)
      }
      pods.push(...started)
      podPort = port
      return
    } catch {
      for (const s of started) s.close()
    }
  }
  throw new Error('no port free on all three loopback addresses')
}

interface Sample {
  readonly at: number
  readonly status: number
  readonly body: string
}

/** Requests one after another through the gateway until stopped; every answer recorded. */
function load() {
  const samples: Sample[] = []
  let running = true
  const done = (async () => {
    while (running) {
      const res = await fetch(sidecarUrl).catch((e: unknown) => ({ status: 0, text: async () => String(e) }))
      samples.push({ at: Date.now(), status: res.status, body: await res.text() })
    }
  })()
  return {
    samples,
    async stop() {
      running = false
      await done
    },
  }
}

beforeAll(async () => {
  await startPods()
  api = new FakeKubeApi()
  await api.start()
  setPods([pod(0), pod(1)])
  control = await startControlPlane()
  await storeNode(control.url, 'gateway')
  await storeNode(control.url, 'service-a')
  api.setPods(NS, 'serviceb', { name: 'envoy-web', port: 8789 }, [{ name: 'serviceb-1', ip: '10.4.0.1' }])
  sync = await startSync(api, control.url, ['gateway', 'service-a'])
  await until('the first write', async () => ((await nodeState(control.url, 'gateway')).endpoints.service_a?.length === 2) || undefined)

  const source = { resource_api_version: 'V3', api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: ['edgevoy_xds'], refresh_delay: `${REFRESH_MS / 1000}s` } }
  const bootstrap = {
    node: { id: 'gateway', cluster: NS },
    dynamic_resources: { lds_config: source, cds_config: source },
    static_resources: {
      clusters: [
        // docs/xds.md: edgevoy's xDS lives under the admin prefix.
        cluster('edgevoy_xds', { endpoints: [control.port], connect_timeout: '1s', metadata: { filter_metadata: { edgevoy: { path_prefix: '/__admin/xds' } } } }),
      ],
    },
  }
  const file = join(tmp, 'gateway-bootstrap.json')
  writeFileSync(file, JSON.stringify(bootstrap))
  const port = await freePort()
  sidecarUrl = `http://127.0.0.1:${port}/`
  sidecar = runCli(['dev', '-c', file, '--listener', 'http_listener', '--port', String(port)], { ADMIN_TOKEN: '', XDS_TOKEN: ADMIN_TOKEN })
  await sidecar.waitFor('serving on', 60_000)
  await until('the gateway to get its config over xDS', async () => {
    const res = await fetch(sidecarUrl).catch(() => undefined)
    return (res && res.status === 200 && (await res.text()).startsWith('pod-')) || undefined
  }, 30_000, 100)
}, 180_000)

afterAll(async () => {
  for (const cli of [sidecar, sync, control?.cli]) if (cli) await stopCli(cli)
  await api?.stop()
  for (const s of pods) s.close()
})

describe('pods from the Kubernetes API reach the gateway over edgevoy xDS', () => {
  it('one k8s-sync keeps several nodes and Services current: A\'s sidecar gets B\'s pods, C (no slices yet) stays as stored', async () => {
    const s = await until('service-a written', async () => {
      const state = await nodeState(control.url, 'service-a')
      return state.endpoints.service_b?.length ? state : undefined
    })
    expect(s.endpoints).toEqual({ service_a: ['127.0.0.1:8081'], service_b: ['10.4.0.1:8789'], service_c: [] })
    expect(s.version).toBe(2)
  })

  it('balances over A\'s two pods', async () => {
    const seen = new Map<string, number>()
    for (let i = 0; i < 10; i++) {
      const res = await fetch(sidecarUrl)
      expect(res.status).toBe(200)
      const body = await res.text()
      seen.set(body, (seen.get(body) ?? 0) + 1)
    }
    expect([...seen.keys()].sort()).toEqual(['pod-1', 'pod-2'])
    expect(seen.get('pod-1')).toBe(5) // ROUND_ROBIN
  })

  it('scaling A from 2 to 3 pods reaches the gateway within 2 refresh delays, with no request failing', async () => {
    const traffic = load()
    await new Promise((r) => setTimeout(r, 300))
    const before = (await nodeState(control.url, 'gateway')).version
    const scaledAt = Date.now()
    setPods([pod(0), pod(1), pod(2)])
    // When k8s-sync's write landed (the node's version moved), to split the delay into its two halves.
    const writtenAt = await until('k8s-sync\'s write', async () => ((await nodeState(control.url, 'gateway')).version > before ? Date.now() : undefined), 10_000, 10)
    await until('a request to pod-3', () => traffic.samples.some((s) => s.body === 'pod-3') || undefined, 15_000)
    await new Promise((r) => setTimeout(r, 500))
    await traffic.stop()
    const firstAtPod3 = traffic.samples.find((s) => s.body === 'pod-3')!.at - scaledAt
    console.log(
      `k8s-sync mesh: pod-3 got its first request ${firstAtPod3} ms after the scale-up (k8s-sync wrote it after ≤${writtenAt - scaledAt} ms; refresh_delay ${REFRESH_MS} ms, ${traffic.samples.length} requests)`,
    )
    expect(traffic.samples.filter((s) => s.status !== 200)).toEqual([])
    expect(firstAtPod3).toBeLessThan(2 * REFRESH_MS + SLACK_MS)
    const after = traffic.samples.filter((s) => s.at > scaledAt + firstAtPod3)
    expect(new Set(after.map((s) => s.body))).toEqual(new Set(['pod-1', 'pod-2', 'pod-3']))
  })

  it('a pod marked terminating stops getting new requests (it still answers), with no request failing', async () => {
    const traffic = load()
    await new Promise((r) => setTimeout(r, 300))
    const markedAt = Date.now()
    setPods([pod(0, { terminating: true }), pod(1), pod(2)])
    await new Promise((r) => setTimeout(r, 2 * REFRESH_MS + SLACK_MS))
    await traffic.stop()
    const toPod1 = traffic.samples.filter((s) => s.body === 'pod-1' && s.at > markedAt)
    const lastAtPod1 = toPod1.length ? toPod1.at(-1)!.at - markedAt : 0
    console.log(`k8s-sync mesh: pod-1 got its last request ${lastAtPod1} ms after it was marked terminating (${traffic.samples.length} requests)`)
    expect(traffic.samples.filter((s) => s.status !== 200)).toEqual([])
    expect(lastAtPod1).toBeLessThan(2 * REFRESH_MS + SLACK_MS)
    // Settled: the next requests go to pods 2 and 3 only, though pod 1 still answers.
    const next: string[] = []
    for (let i = 0; i < 12; i++) next.push(await (await fetch(sidecarUrl)).text())
    expect(new Set(next)).toEqual(new Set(['pod-2', 'pod-3']))
    expect(await (await fetch(`http://${IPS[0]}:${podPort}/`)).text()).toBe('pod-1')
  })
})
