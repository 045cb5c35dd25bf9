/**
 * k8s-sync's watch protocol against the stand-in API server, writing into a
 * real `edgevoy dev`'s node configs: every change arrives once (one node
 * version per change of the pod set, none for reconnects that change
 * nothing), through closed watches, bookmarks, 410 Gone and an API server
 * restart. https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeNodeEndpoints } from '../../src/cli/k8s/node-writer.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { kubeconfigFor } from '../support/kube-api-server.js'
import { runCliToEnd, stopCli, type Cli } from './cli-process.js'
import { ADMIN_TOKEN, FakeKubeApi, nodeState, startControlPlane, startSync, storeNode, tmp, until } from './k8s-harness.js'

const NS = 'mesh'
const PORT = { name: 'envoy-web', port: 8786 }
const pod = (n: number) => ({ name: `servicea-${n}`, ip: `10.1.0.${n}` })
const ep = (...ns: number[]) => ns.map((n) => `10.1.0.${n}:8786`)

let api: FakeKubeApi
let control: Awaited<ReturnType<typeof startControlPlane>>
let sync: Cli

const gateway = async () => (await nodeState(control.url, 'gateway'))
const watchesOfA = () => api.requests.filter((r) => r.kind === 'watch' && r.service === 'servicea')
const listsOfA = () => api.requests.filter((r) => r.kind === 'list' && r.service === 'servicea')

/** Wait for the endpoints, then make sure no further write follows: exactly `version`. */
async function settlesAt(endpoints: string[], version: number) {
  await until(`gateway service_a = ${endpoints.join(',')}`, async () => {
    const s = await gateway()
    return JSON.stringify(s.endpoints.service_a) === JSON.stringify(endpoints) || undefined
  })
  await new Promise((r) => setTimeout(r, 600))
  expect(await gateway()).toEqual({ version, endpoints: { service_a: endpoints } })
}

beforeAll(async () => {
  api = new FakeKubeApi()
  await api.start()
  api.setPods(NS, 'servicea', PORT, [pod(1), pod(2)])
  control = await startControlPlane()
  expect(await storeNode(control.url, 'gateway')).toBe(1)
  sync = await startSync(api, control.url, ['gateway'])
}, 120_000)

afterAll(async () => {
  if (sync) await stopCli(sync)
  if (control) await stopCli(control.cli)
  await api?.stop()
})

describe('k8s-sync: list, watch, reconnect', () => {
  it('lists, then watches from the list resourceVersion with bookmarks allowed, and writes the ready pods once', async () => {
    await settlesAt(ep(1, 2), 2)
    const list = listsOfA()[0]!
    expect(list.resourceVersion).toBeUndefined()
    const watch = watchesOfA()[0]!
    expect(watch.bookmarks).toBe(true)
    expect(Number(watch.resourceVersion)).toBeGreaterThan(0)
    expect(sync.output()).toMatch(/node "gateway" version 2: service_a = 10\.1\.0\.1:8786, 10\.1\.0\.2:8786/)
  })

  it('a watch the server closes is resumed from the last resourceVersion, with no write and no re-list', async () => {
    const watches = watchesOfA().length
    const lists = listsOfA().length
    api.closeWatches()
    await until('a new watch', () => watchesOfA().length > watches || undefined)
    await settlesAt(ep(1, 2), 2)
    expect(listsOfA().length).toBe(lists)
    api.setPods(NS, 'servicea', PORT, [pod(1), pod(2), pod(3)])
    await settlesAt(ep(1, 2, 3), 3)
  })

  it('bookmarks move the resourceVersion on, so a reconnect after compaction needs no re-list', async () => {
    const lists = listsOfA().length
    for (let i = 0; i < 3; i++) api.touchOther() // other objects change: A's last event gets old
    api.bookmark()
    const bookmarkRv = api.resourceVersion
    await new Promise((r) => setTimeout(r, 200))
    api.compact()
    const watches = watchesOfA().length
    api.closeWatches()
    await until('a new watch', () => watchesOfA().length > watches || undefined)
    expect(watchesOfA().at(-1)!.resourceVersion).toBe(bookmarkRv)
    api.setPods(NS, 'servicea', PORT, [pod(1), pod(3)])
    await settlesAt(ep(1, 3), 4)
    expect(listsOfA().length).toBe(lists)
  })

  it('410 Gone → re-list; a re-list that finds no change writes nothing', async () => {
    const lists = listsOfA().length
    api.touchOther()
    api.compact() // A's watch resourceVersion is now too old
    api.closeWatches()
    await until('a re-list', () => listsOfA().length > lists || undefined)
    await settlesAt(ep(1, 3), 4)
    expect(sync.output()).toMatch(/is gone \(410\); listing again/)
    // The watch that follows the re-list delivers the next change.
    api.setPods(NS, 'servicea', PORT, [pod(2), pod(3)])
    await settlesAt(ep(2, 3), 5)
  })

  it('survives the API server restarting (connections refused, history lost), with changes made while it was down', async () => {
    const lists = listsOfA().length
    await api.restart(400, () => api.setPods(NS, 'servicea', PORT, [pod(1), pod(2), pod(3)]))
    await until('a re-list after the restart', () => listsOfA().length > lists || undefined)
    await settlesAt(ep(1, 2, 3), 6)

    // Other objects change while it is down (A's resourceVersion is compacted away), A's pods do not: no write.
    await api.restart(400, () => api.touchOther())
    await until('a re-list after the second restart', () => listsOfA().length > lists + 1 || undefined)
    await settlesAt(ep(1, 2, 3), 6)
  })

  it('terminating and not-ready endpoints leave the set', async () => {
    api.setPods(NS, 'servicea', PORT, [pod(1), { ...pod(2), terminating: true }, { ...pod(3), ready: false }])
    await settlesAt(ep(1), 7)
    api.setPods(NS, 'servicea', PORT, [pod(1), pod(3)])
    await settlesAt(ep(1, 3), 8)
  })
})

describe('k8s-sync: refusals', () => {
  it('an RBAC 403 stops it with a message naming the permission', async () => {
    const denied = new FakeKubeApi()
    await denied.start()
    denied.forbidden.add(NS)
    try {
      const cli = await startSync(denied, control.url, ['gateway'])
      expect(await cli.exited).toBe(1)
      expect(cli.output()).toMatch(/forbidden \(403\).*cannot list resource "endpointslices".*needs get, list and watch on discovery\.k8s\.io endpointslices in namespace "mesh"/s)
    } finally {
      await denied.stop()
    }
  })

  it('a node with no stored config is an error up front', async () => {
    const kubeconfig = join(tmp, 'kubeconfig-nope.yaml')
    writeFileSync(kubeconfig, kubeconfigFor(api))
    const { code, output } = await runCliToEnd(['k8s-sync', '--url', control.url, '--token', ADMIN_TOKEN, '--kubeconfig', kubeconfig, '--node', 'nope'])
    expect(code).toBe(1)
    expect(output).toContain('no config is stored for node "nope"; PUT one first')
  })
})

describe('writes race safely (If-Match)', () => {
  it('two writers changing different clusters of one node at once both land; the loser re-reads on 412', async () => {
    const admin = { base: `${control.url}/__admin`, token: ADMIN_TOKEN }
    await storeNode(control.url, 'service-a')
    let conflicts = 0
    for (let i = 1; i <= 5; i++) {
      const results = await Promise.all([
        writeNodeEndpoints(admin, 'service-a', new Map([['service_b', [{ address: `10.2.0.${i}`, port: 8789 }]]])),
        writeNodeEndpoints(admin, 'service-a', new Map([['service_c', [{ address: `10.3.0.${i}`, port: 8790 }]]])),
      ])
      conflicts += results.reduce((n, r) => n + r.conflicts, 0)
      const s = await nodeState(control.url, 'service-a')
      expect(s.endpoints.service_b).toEqual([`10.2.0.${i}:8789`])
      expect(s.endpoints.service_c).toEqual([`10.3.0.${i}:8790`])
    }
    expect(conflicts).toBeGreaterThan(0)
  })
})
