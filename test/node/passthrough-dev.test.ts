/**
 * The same guarantees as edge-upstream-dev.test.ts, through real sockets, for a
 * listener with no access log and no tracing: nothing observes how a body
 * ends, so a body of known length is handed to the client as the upstream's
 * own stream (workerd passes it through natively) and the route timeout aborts
 * the upstream fetch (src/upstream/body-guard.ts, abortAtDeadline). The client
 * must see a reset, never a clean, truncated end: Envoy's route timeout spans
 * the whole response, and a stream it cuts is reset.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routeaction-timeout
 * https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootstrapYaml } from '../support/envoy-config'
import { getStreamed } from '../support/streamed-get'
import { startUpstream, type Upstream } from '../support/upstream-server'
import { freePort, runCli, stopCli, type Cli } from './cli-process'

const TOKEN = 'passthrough-token'

function config(ports: number[]): string {
  return bootstrapYaml({
    listener: { name: 'edge' },
    hcm: { stat_prefix: 'edge' },
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up', timeout: '2s' } }] }],
    clusters: { up: ports },
  })
}

describe('bodies passed through untouched (no access log) still end at the route timeout, with a reset', () => {
  let dir: string
  let cli: Cli
  let port: number
  let up: Upstream

  beforeAll(async () => {
    up = await startUpstream({ id: 'pt-1' })
    dir = mkdtempSync(join(tmpdir(), 'edgevoy-passthrough-'))
    writeFileSync(join(dir, 'edge.yaml'), config([up.port]))
    port = await freePort()
    cli = runCli(['dev', '-c', join(dir, 'edge.yaml'), '--port', String(port), '--admin-token', TOKEN])
    await cli.waitFor(`serving on http://127.0.0.1:${port}`)
  })
  afterAll(async () => {
    if (cli) await stopCli(cli, 'SIGTERM')
    await up?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a 2 s route timeout resets a Content-Length slow drip at ~2 s', async () => {
    // 60 × 2 KiB (more than is read whole first), one every 100 ms: 6 s if nothing stops it.
    const sized = await getStreamed(port, '/drip/60?every=100&sized&piece=2048')
    expect(sized.status).toBe(200)
    expect(sized.reset).toBe(true)
    expect(sized.bytes).toBeGreaterThan(0)
    expect(sized.bytes).toBeLessThan(60 * 2048)
    expect(sized.endedMs).toBeGreaterThanOrEqual(1800)
    expect(sized.endedMs).toBeLessThan(4000)
  }, 20_000)

  it('a fast body of known length arrives whole, not reset', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await getStreamed(port, '/big/300000')
      expect(res).toMatchObject({ status: 200, bytes: 300_000, reset: false })
    }
  })

  it('an upstream that closes short of its Content-Length: the client sees a reset, never fewer bytes with a clean end', async () => {
    const res = await getStreamed(port, '/big/100000?failAt=30000')
    expect(res.status).toBe(200)
    expect(res.bytes).toBeLessThan(100_000)
    expect(res.reset).toBe(true)
  })

  it('a small body cut by the route timeout while it is read whole: the client sees a reset', async () => {
    const small = await getStreamed(port, '/drip/60?every=100&sized')
    expect(small.status).toBe(200)
    expect(small.reset).toBe(true)
    expect(small.bytes).toBeLessThan(60 * 16)
    expect(small.endedMs).toBeGreaterThanOrEqual(1800)
    expect(small.endedMs).toBeLessThan(4000)
  }, 20_000)

  it('a small body cut short by the upstream: the client sees a reset', async () => {
    const res = await getStreamed(port, '/big/50000?failAt=20000')
    expect(res.bytes).toBeLessThan(50_000)
    expect(res.reset).toBe(true)
  })

  it('the requests are counted in the stats', async () => {
    const stats = await (await fetch(`http://127.0.0.1:${port}/__admin/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    expect(stats).toMatch(/http\.edge\.downstream_rq_2xx: [1-9]/)
    expect(stats).toMatch(/cluster\.up\.upstream_rq_200: [1-9]/)
  })
})
