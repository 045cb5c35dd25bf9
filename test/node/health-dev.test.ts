/**
 * Active health checks where users run them: `edgevoy dev` gets the HEALTH
 * Durable Object from wrangler.toml (issue 15), so with a 1 s interval a
 * killed host is marked unhealthy in /__admin/clusters and gets no traffic
 * within 3 intervals, and comes back once restarted.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking
 */
import { createServer, type Server } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, runCli, stopCli, type Cli } from './cli-process'
import { anyHost, bootstrapYaml } from '../support/envoy-config'

const TOKEN = 'health-dev-token'
const INTERVAL_MS = 1000

/** A host that answers its name; closed and reopened on the same port to play "killed" and "restarted". */
function host(name: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(req.url === '/healthz' ? 'ok' : name)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}
const close = (s: Server) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))

const config = (ports: number[]) =>
  bootstrapYaml({
    virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'pair' } }]),
    clusters: { pair: { endpoints: ports, health_checks: [{ timeout: '0.5s', interval: '1s', unhealthy_threshold: 2, healthy_threshold: 1, http_health_check: { path: '/healthz' } }] } },
  })

interface HostJson {
  address: { socket_address: { port_value: number } }
  health_status: { flags: string }
  active_check: { checks: number; consecutive_failures: number } | null
  picks: number
  active: number
  stats: { name: string; value: number }[]
  outlier: { ejections: number; ejected_until: string | null }
}

describe('edgevoy dev: active health checks (HEALTH binding from wrangler.toml)', () => {
  let dev: Cli | undefined
  let url = ''
  const servers: Server[] = []
  let ports: number[] = []

  beforeAll(async () => {
    ports = [await freePort(), await freePort()]
    servers.push(await host('one', ports[0]!), await host('two', ports[1]!))
    const dir = mkdtempSync(join(tmpdir(), 'edgevoy-health-'))
    writeFileSync(join(dir, 'pair.yaml'), config(ports))
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    dev = runCli(['dev', '-c', join(dir, 'pair.yaml'), '--port', String(port), '--admin-token', TOKEN])
    await dev.waitFor('serving on', 45_000)
  })
  afterAll(async () => {
    if (dev) await stopCli(dev)
    await Promise.all(servers.map(close))
  })

  const hosts = async () => {
    const res = await fetch(`${url}/__admin/clusters`, { headers: { authorization: `Bearer ${TOKEN}` } })
    const body = (await res.json()) as { cluster_statuses: { name: string; host_statuses: HostJson[] }[] }
    return body.cluster_statuses.find((c) => c.name === 'pair')!.host_statuses
  }
  const flagsOf = async (port: number) => (await hosts()).find((h) => h.address.socket_address.port_value === port)!.health_status.flags
  const answers = async (n: number) => {
    const out: string[] = []
    for (let i = 0; i < n; i++) out.push(await (await fetch(`${url}/`)).text())
    return out
  }
  /** Polls until `cond` holds; returns the ms it took, or throws after `limitMs`. */
  const within = async (limitMs: number, cond: () => Promise<boolean>) => {
    const start = Date.now()
    while (!(await cond())) {
      if (Date.now() - start > limitMs) throw new Error(`not within ${limitMs} ms`)
      await new Promise((r) => setTimeout(r, 100))
    }
    return Date.now() - start
  }

  it('checks run, a killed host is unhealthy and gets no traffic within 3 intervals, a restarted one returns', async () => {
    // Traffic registers the cluster with its health authority; checks then run on its alarm loop.
    expect(new Set(await answers(4))).toEqual(new Set(['one', 'two']))
    await within(10_000, async () => (await hosts()).every((h) => (h.active_check?.checks ?? 0) > 0))
    expect(await flagsOf(ports[1]!)).toBe('healthy')
    // What docs/failover.md says /clusters shows: picks/active (and as Envoy's rq_total/rq_active), outlier, checks.
    for (const h of await hosts()) {
      expect(h.picks).toBeGreaterThan(0)
      expect(h.stats.find((s) => s.name === 'rq_total')?.value).toBe(h.picks)
      expect(h.active).toBe(0)
      expect(h.outlier).toEqual({ ejections: 0, reason: null, ejected_until: null })
      expect(h.active_check?.consecutive_failures).toBe(0)
    }

    await close(servers[1]!)
    const tookMs = await within(3 * INTERVAL_MS + 2000, async () => {
      await answers(1) // keeps the isolate's poll loop alive, as traffic would
      return (await flagsOf(ports[1]!)).includes('failed_active_hc')
    })
    // 3 intervals, plus slack for a loaded machine (the isolate polls about twice per interval).
    expect(tookMs).toBeLessThan(3 * INTERVAL_MS + 2000)
    expect(await answers(6)).toEqual(Array(6).fill('one'))

    servers[1] = await host('two', ports[1]!)
    await within(3 * INTERVAL_MS + 2000, async () => (await flagsOf(ports[1]!)) === 'healthy')
    expect(new Set(await answers(4))).toEqual(new Set(['one', 'two']))
  })
})
