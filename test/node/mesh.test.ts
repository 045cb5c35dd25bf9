/**
 * `npm start` (`edgevoy start`): the article's whole mesh on this machine —
 * front proxy → A's sidecar → A → (A's egress → B's sidecar → B, A's egress
 * → C's sidecar → C) — started, checked and stopped as a user would.
 * Uses the mesh's fixed ports (8080-8083, 8786-8791, 9901), so its cases
 * run one after another in this one file.
 * x-request-id travels the whole path, as Envoy's request-id handling does:
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-request-id
 */
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listener as envoyListener } from '../support/envoy-config'
import { acquireFixedPorts, type HeldLock } from '../support/port-lock'
import { ROOT, commandOf, descendants, isAlive, isPortFree, killTree, listenOn, runCli, runCliToEnd, stopCli, type Cli } from './cli-process'

const MESH_PORTS = [8080, 8081, 8082, 8083, 8786, 8788, 8789, 8790, 8791, 9901]
const LISTENERS = ['front-envoy:8080', 'service_a_envoy:8786', 'service_a_envoy:8788', 'service_a_envoy:8791', 'service_b_envoy:8789', 'service_c_envoy:8790']
const SERVICES = ['service_a-1', 'service_b-1', 'service_c-1']

interface Answer {
  service: string
  instance: string
  request_id: string | null
  traceparent: string | null
  calls: (Answer & { status: number; url: string })[]
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => (socket.destroy(), resolve(false)))
  })

/**
 * Start the mesh. `onFirstConnect` runs the moment :8080 accepts a
 * connection — as a user curling in a loop would — before the table prints.
 */
async function startMesh(args: string[] = [], onFirstConnect?: () => Promise<void>): Promise<Cli> {
  const busy = (await Promise.all(MESH_PORTS.map(async (p) => ((await isPortFree(p)) ? [] : [p])))).flat()
  if (busy.length) throw new Error(`mesh ports already in use: ${busy.join(', ')} (another \`npm start\` running?)`)
  const cli = runCli(['start', ...args], { ADMIN_TOKEN: 'mesh-test-token' })
  if (onFirstConnect) {
    const deadline = Date.now() + 50_000
    while (!(await accepts(8080))) {
      if (cli.child.exitCode !== null || Date.now() > deadline) throw new Error(`:8080 never accepted a connection:\n${cli.output()}`)
      await new Promise((r) => setTimeout(r, 10))
    }
    await onFirstConnect()
  }
  await cli.waitFor('curl -s localhost:8080/ | jq', 50_000)
  return cli
}

/** The PID column of the table's row for `label`. */
const pidInTable = (output: string, label: string) => Number(/ (\d+)$/.exec(output.split('\n').find((l) => l.startsWith(`  ${label} `))!.trim())![1])

/** A's sidecar's view of a host of its service_a cluster (its listener's admin prefix, the mesh token). */
async function sidecarHostFlags(port: number): Promise<string> {
  const res = await fetch('http://127.0.0.1:8786/__admin/clusters', { headers: { authorization: 'Bearer mesh-test-token' } })
  const body = (await res.json()) as { cluster_statuses: { name: string; host_statuses: { address: { socket_address: { port_value: number } }; health_status: { flags: string } }[] }[] }
  return body.cluster_statuses.find((c) => c.name === 'service_a')!.host_statuses.find((h) => h.address.socket_address.port_value === port)!.health_status.flags
}

/** Stop with `signal`; then no descendant process and no mesh port may remain. */
async function stopMesh(cli: Cli, signal: NodeJS.Signals): Promise<void> {
  const children = descendants(cli.child.pid!)
  expect(await stopCli(cli, signal)).toBe(0)
  expect(cli.output()).toContain('edgevoy start: stopped')
  await new Promise((r) => setTimeout(r, 200))
  expect(children.filter(isAlive).map(commandOf)).toEqual([])
  const busy = (await Promise.all(MESH_PORTS.map(async (p) => ((await isPortFree(p)) ? [] : [p])))).flat()
  expect(busy).toEqual([])
}

/** Output lines for `label` that carry request id `id`. */
const linesFor = (output: string, label: string, id: string) =>
  output.split('\n').filter((l) => l.startsWith(`${label} `) && l.includes(`id=${id}`))

describe('edgevoy start: the article mesh', () => {
  // docs.test.ts runs the docs' `npm start` on the same ports: take turns.
  let lock: HeldLock | undefined
  beforeAll(async () => {
    lock = await acquireFixedPorts(ROOT)
  }, 600_000)
  afterAll(async () => {
    await lock?.release()
  })
  // One mesh start covers it all (each start costs seconds): A scaled to 2 instances, as with
  // `npm start -- --replicas a=2`, so the same run shows the sidecar's round-robin.
  it('answers curl :8080/ with A calling B and C under one request id, logged at every hop; A\'s 2 instances alternate; admin on 9901; Ctrl-C stops all', async () => {
    // :8080 opens last, once every hop it forwards to answers: the very first curl gets the mesh's answer.
    let first: { status: number; calls: [string, number][] } | undefined
    const cli = await startMesh(['--replicas', 'a=2'], async () => {
      const res = await fetch('http://127.0.0.1:8080/')
      first = { status: res.status, calls: res.status === 200 ? ((await res.json()) as Answer).calls.map((c) => [c.service, c.status]) : [] }
    })
    try {
      expect(first).toEqual({ status: 200, calls: [['service_b', 200], ['service_c', 200]] })
      // The table names every hop.
      for (const label of [...LISTENERS, ...SERVICES, 'service_a-2', 'front-envoy admin']) expect(cli.output()).toContain(`  ${label} `)

      const res = await fetch('http://127.0.0.1:8080/')
      expect(res.status).toBe(200)
      const a = (await res.json()) as Answer
      expect(a.service).toBe('service_a')
      const id = a.request_id!
      expect(id).toBeTruthy()
      expect(a.calls.map((c) => [c.service, c.status, c.request_id])).toEqual([
        ['service_b', 200, id],
        ['service_c', 200, id],
      ])
      expect(a.calls.map((c) => c.traceparent)).toEqual([a.traceparent, a.traceparent])

      // One line per hop with that id: 6 proxy listeners and 3 services (A as whichever instance answered).
      const hops = [...LISTENERS, a.instance, 'service_b-1', 'service_c-1']
      const everyHop = () => hops.every((label) => linesFor(cli.output(), label, id).length === 1)
      for (let i = 0; i < 40 && !everyHop(); i++) await new Promise((r) => setTimeout(r, 50))
      for (const label of hops) expect(linesFor(cli.output(), label, id), `${label}\n${cli.output()}`).toHaveLength(1)
      expect(linesFor(cli.output(), 'front-envoy:8080', id)[0]).toMatch(/GET \/ -> 200 upstream=127\.0\.0\.1:8786 \d+ms/)

      // A's cluster resolves service_a to both instances: ROUND_ROBIN alternates them.
      const instances = [a.instance]
      for (let i = 0; i < 3; i++) instances.push(((await (await fetch('http://127.0.0.1:8080/')).json()) as Answer).instance)
      expect(new Set(instances)).toEqual(new Set(['service_a-1', 'service_a-2']))
      for (let i = 1; i < instances.length; i++) expect(instances[i]).not.toBe(instances[i - 1])

      // Envoy's admin port, as in the article's compose file; the token guards it.
      const denied = await fetch('http://127.0.0.1:9901/clusters')
      expect(denied.status).toBe(401)
      const clusters = await fetch('http://127.0.0.1:9901/clusters', { headers: { authorization: 'Bearer mesh-test-token' } })
      expect(clusters.status).toBe(200)
      expect(await clusters.text()).toContain('service_a')

      // Active health checks (routes/service-a.yaml: every 1 s, unhealthy after 2 failures) on A's
      // replicas: kill one; within 3 intervals A's sidecar marks it failed_active_hc, and curls keep
      // answering 200 throughout (a request that finds it gone is retried on the other replica).
      // https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking
      expect(await sidecarHostFlags(18081)).toBe('healthy')
      process.kill(pidInTable(cli.output(), 'service_a-2'), 'SIGTERM')
      const killedAt = Date.now()
      const statuses: number[] = []
      while (!(await sidecarHostFlags(18081)).includes('failed_active_hc')) {
        expect(Date.now() - killedAt, cli.output()).toBeLessThan(3 * 1000 + 2000)
        statuses.push((await fetch('http://127.0.0.1:8080/')).status)
        await new Promise((r) => setTimeout(r, 100))
      }
      const answered = [] as string[]
      for (let i = 0; i < 4; i++) {
        const res = await fetch('http://127.0.0.1:8080/')
        statuses.push(res.status)
        answered.push(((await res.json()) as Answer).instance)
      }
      expect(statuses.every((s) => s === 200), String(statuses)).toBe(true)
      expect(answered).toEqual(Array(4).fill('service_a-1'))

      // Restarted (the command docs/mesh.md shows), it passes its next check and gets traffic again.
      const restarted = spawn(process.execPath, ['mesh/service.mjs', '--name', 'service_a', '--port', '18081', '--instance', 'service_a-2', '--calls', 'http://127.0.0.1:8788/,http://127.0.0.1:8791/'], { cwd: ROOT, stdio: 'ignore' })
      try {
        const restartedAt = Date.now()
        while ((await sidecarHostFlags(18081)) !== 'healthy') {
          expect(Date.now() - restartedAt).toBeLessThan(3 * 1000 + 2000)
          await fetch('http://127.0.0.1:8080/')
          await new Promise((r) => setTimeout(r, 100))
        }
        const back = new Set<string>()
        for (let i = 0; i < 4; i++) back.add(((await (await fetch('http://127.0.0.1:8080/')).json()) as Answer).instance)
        expect(back).toEqual(new Set(['service_a-1', 'service_a-2']))
      } finally {
        restarted.kill('SIGTERM')
      }

      await stopMesh(cli, 'SIGINT')
    } finally {
      killTree(cli)
    }
  })

  // The sidecars as REST xDS clients of the front proxy's admin API (polling every refresh_delay):
  // https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
  it('--xds: the sidecars take their config from the front proxy; a PUT of B\'s node config shows in A\'s call to B within seconds; Ctrl-C stops all', async () => {
    const cli = await startMesh(['--xds', '--replicas', 'a=1'])
    try {
      for (const label of ['service_a_envoy:8788', 'service_b_envoy:8789', 'service_c_envoy:8790']) {
        expect(cli.output()).toMatch(new RegExp(`  ${label} .*\\(xDS node ${label.split(':')[0]}\\)`))
      }
      expect(cli.output()).toContain("front-envoy's admin (127.0.0.1:9901/xds/v3/discovery:*), polled every 1s")

      const a = (await (await fetch('http://127.0.0.1:8080/')).json()) as Answer
      expect(a.calls.map((c) => [c.service, c.status])).toEqual([
        ['service_b', 200],
        ['service_c', 200],
      ])

      // B's sidecar now answers by itself: a new version of node service_b_envoy on the front's admin.
      const route = { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'b via xds' } } }
      const listener = envoyListener({
        listener: { name: 'service-b-svc-http-listener', address: { socket_address: { address: '0.0.0.0', port_value: 8789 } } },
        route_config: { name: 'b' },
        virtual_hosts: [{ name: 'b', domains: ['*'], routes: [route] }],
      })
      const put = await fetch('http://127.0.0.1:9901/nodes/service_b_envoy/config', {
        method: 'PUT',
        headers: { authorization: 'Bearer mesh-test-token', 'content-type': 'application/json' },
        body: JSON.stringify({ static_resources: { listeners: [listener] } }),
      })
      expect(put.status, await put.clone().text()).toBe(200)

      const callToB = async () => ((await (await fetch('http://127.0.0.1:8080/')).json()) as Answer & { calls: { body?: string }[] }).calls[0]!
      let b = await callToB()
      const deadline = Date.now() + 3000
      while (b.body !== 'b via xds' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200))
        b = await callToB()
      }
      expect(b).toMatchObject({ status: 200, body: 'b via xds' })

      await stopMesh(cli, 'SIGINT')
    } finally {
      killTree(cli)
    }
  })

  it('refuses to start when a mesh port is taken, naming the holder, and starts nothing', async () => {
    const holder = await listenOn(8083)
    try {
      const { code, output } = await runCliToEnd(['start'])
      expect(code).toBe(1)
      expect(output).toContain(`port 8083 is already in use by pid ${process.pid} (`)
      expect(output).toContain('nothing started')
      const others = MESH_PORTS.filter((p) => p !== 8083)
      expect((await Promise.all(others.map(isPortFree))).every(Boolean)).toBe(true)
    } finally {
      holder.close()
    }
  })
})
