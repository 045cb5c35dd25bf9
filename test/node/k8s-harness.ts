/**
 * Shared by the k8s-sync tests: a real `edgevoy dev` as the control plane
 * (admin API + xDS server), node configs stored in it, and k8s-sync runs
 * against the stand-in Kubernetes API (test/support/kube-api-server.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeKubeApi, kubeconfigFor } from '../support/kube-api-server.js'
import { freePort, ROOT, runCli, type Cli } from './cli-process.js'

export const ADMIN_TOKEN = 'k8s-admin-token'
export const tmp = mkdtempSync(join(tmpdir(), 'edgevoy-k8s-'))

/** `edgevoy dev` serving routes/front-envoy.yaml, its admin API being the xDS server for the nodes. */
export async function startControlPlane(): Promise<{ cli: Cli; port: number; url: string }> {
  const port = await freePort()
  const cli = runCli(['dev', '-c', 'routes/front-envoy.yaml', '--port', String(port), '--admin-token', ADMIN_TOKEN, '--resolve', 'service_a_envoy=127.0.0.1'], { ADMIN_TOKEN: '' })
  await cli.waitFor('serving on', 60_000)
  return { cli, port, url: `http://127.0.0.1:${port}` }
}

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** PUT deploy/nodes/<node>.yaml (as shipped) as that node's config. */
export async function storeNode(url: string, node: string): Promise<number> {
  const res = await fetch(`${url}/__admin/nodes/${node}/config`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/yaml' },
    body: readFileSync(join(ROOT, 'deploy/nodes', `${node}.yaml`), 'utf8'),
  })
  if (!res.ok) throw new Error(`storing node ${node}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { version: number }).version
}

export interface NodeState {
  readonly version: number
  /** Per cluster: "address:port" sorted. */
  readonly endpoints: Record<string, string[]>
}

export async function nodeState(url: string, node: string): Promise<NodeState> {
  const res = await fetch(`${url}/__admin/nodes/${node}/config`, { headers: auth })
  const json = (await res.json()) as { static_resources: { clusters: { name: string; load_assignment?: { endpoints?: { lb_endpoints?: { endpoint: { address: { socket_address: { address: string; port_value: number } } } }[] }[] } }[] } }
  const endpoints: Record<string, string[]> = {}
  for (const c of json.static_resources.clusters)
    endpoints[c.name] = (c.load_assignment?.endpoints ?? []).flatMap((l) => l.lb_endpoints ?? []).map((e) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`).sort()
  return { version: Number((res.headers.get('etag') ?? '').replaceAll('"', '')), endpoints }
}

export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Start `edgevoy k8s-sync` against the stand-in with a kubeconfig file. */
export async function startSync(api: FakeKubeApi, controlUrl: string, nodes: string[], extra: string[] = []): Promise<Cli> {
  const kubeconfig = join(tmp, `kubeconfig-${api.port}-${Date.now()}.yaml`)
  writeFileSync(kubeconfig, kubeconfigFor(api))
  const cli = runCli(['k8s-sync', '--url', controlUrl, '--token', ADMIN_TOKEN, '--kubeconfig', kubeconfig, '--node', nodes.join(','), '--backoff-ms', '100', ...extra])
  await cli.waitFor('watching', 30_000)
  return cli
}

export { FakeKubeApi }
