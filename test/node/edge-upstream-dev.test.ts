/**
 * Issue 13 items 5-7 through `edgevoy dev` with real sockets, as the attack:
 *   - a 2 s route timeout cuts a slow-drip body at ~2 s (Envoy resets the stream, UT)
 *   - six aborted uploads eject no host and are logged DC (Envoy never charges a
 *     client's disconnect to the host)
 *   - an upstream sending 103 then 200 gives the client the 200 with its body
 *   - a client's Expect: 100-continue upload goes through (Envoy answers it itself)
 *   - Content-Length with Transfer-Encoding: 400 (Envoy's HTTP/1 codec), nothing upstream
 * https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#config-access-log-format-response-flags
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getStreamed } from '../support/streamed-get'
import { startUpstream, type Upstream } from '../support/upstream-server'
import { freePort, runCli, stopCli, type Cli } from './cli-process'
import { anyHost, bootstrapYaml, stdoutAccessLog } from '../support/envoy-config'

const TOKEN = 'edge-upstream-token'

function config(ports: number[]): string {
  return bootstrapYaml({
    hcm: { stat_prefix: 'edge', access_log: stdoutAccessLog('LOG %RESPONSE_CODE% %RESPONSE_FLAGS% %REQ(:PATH)%\n') },
    virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'up', timeout: '2s' } }]),
    clusters: { up: { endpoints: ports, outlier_detection: { consecutive_5xx: 2, consecutive_gateway_failure: 2, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 100 } } },
  })
}

/** Opens a raw connection, writes `payload`, and hangs up after `closeAfterMs`; resolves with what came back. */
function raw(port: number, payload: string, closeAfterMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    socket.on('data', (d) => (out += d.toString('latin1')))
    socket.on('error', () => undefined)
    socket.write(payload)
    setTimeout(() => {
      socket.destroy()
      resolve(out)
    }, closeAfterMs)
  })
}

describe('stream timers, 1xx and client failures through edgevoy dev', () => {
  let dir: string
  let cli: Cli
  let port: number
  const ups: Upstream[] = []
  const admin = async (path: string) => (await fetch(`http://127.0.0.1:${port}/__admin${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()
  const logged = (path: string) => cli.output().split('\n').filter((l) => l.startsWith('LOG ') && l.endsWith(` ${path}`))

  beforeAll(async () => {
    for (const id of ['eu-dev-1', 'eu-dev-2']) ups.push(await startUpstream({ id }))
    dir = mkdtempSync(join(tmpdir(), 'edgevoy-edge-upstream-'))
    writeFileSync(join(dir, 'edge.yaml'), config(ups.map((u) => u.port)))
    port = await freePort()
    cli = runCli(['dev', '-c', join(dir, 'edge.yaml'), '--port', String(port), '--admin-token', TOKEN])
    await cli.waitFor(`serving on http://127.0.0.1:${port}`)
  })
  afterAll(async () => {
    if (cli) await stopCli(cli, 'SIGTERM')
    await Promise.all(ups.map((u) => u.close()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('a 2 s route timeout cuts a slow-drip body at ~2 s; with a Content-Length the client sees the reset', async () => {
    // 60 × 16 bytes, one every 100 ms: 6 s if nothing stops it.
    const sized = await getStreamed(port, '/drip/60?every=100&sized')
    expect(sized.status).toBe(200)
    expect(sized.reset).toBe(true)
    expect(sized.bytes).toBeLessThan(60 * 16)
    expect(sized.endedMs).toBeGreaterThanOrEqual(1800)
    expect(sized.endedMs).toBeLessThan(4000)
    // Chunked: the bytes stop at ~2 s too (workerd closes the response; see docs/differences.md).
    const chunked = await getStreamed(port, '/drip/60?every=100')
    expect(chunked.bytes).toBeLessThan(60 * 16)
    expect(chunked.lastByteMs).toBeLessThan(4000)
    expect(chunked.endedMs).toBeLessThan(4000)
    await cli.waitFor(/LOG 200 UT \/drip\/60\?every=100\n/, 5000)
    expect(logged('/drip/60?every=100&sized')).toEqual(['LOG 200 UT /drip/60?every=100&sized'])
  }, 20_000)

  it('six aborted uploads eject no host and are logged DC', async () => {
    const before = ups.map((u) => u.requests)
    for (let i = 0; i < 6; i++) await raw(port, 'POST /upload HTTP/1.1\r\nHost: edge\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000), 300)
    for (const deadline = Date.now() + 10_000; logged('/upload').length < 6 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50))
    expect(logged('/upload')).toEqual(Array(6).fill('LOG 499 DC /upload'))
    const clusters = (await admin('/clusters')) as { cluster_statuses: { host_statuses: { outlier: { ejections: number } }[] }[] }
    expect(clusters.cluster_statuses[0]!.host_statuses.map((h) => h.outlier.ejections)).toEqual([0, 0])
    const stats = await (await fetch(`http://127.0.0.1:${port}/__admin/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    expect(stats).toMatch(/http\.edge\.downstream_cx_destroy_remote_active_rq: 6/)
    expect(stats).not.toMatch(/cluster\.up\.upstream_cx_connect_fail/)
    // Both hosts still serve, and at most one upstream request was started per abort (no retries).
    const after = ups.map((u) => u.requests)
    expect(after.reduce((s, n, i) => s + n - before[i]!, 0)).toBeLessThanOrEqual(6)
    for (let i = 0; i < 2; i++) expect((await getStreamed(port, '/ok')).status).toBe(200)
  }, 30_000)

  it('an upstream sending 103 then 200 gives the client the 200 with its body', async () => {
    const res = await getStreamed(port, '/early-hints?chunked')
    expect(res.status).toBe(200)
    expect(res.reset).toBe(false)
    expect(JSON.parse(res.body)).toMatchObject({ url: '/early-hints?chunked' })
    await cli.waitFor(/LOG 200 - \/early-hints\?chunked\n/, 5000)
  })

  it("a client's Expect: 100-continue upload arrives whole and is answered 200", async () => {
    const body = Buffer.alloc(2_000_000, 7)
    const answer = await new Promise<{ status: number; json: { bodyBytes: number; headers: Record<string, string> }; sawContinue: boolean }>((resolve, reject) => {
      let sawContinue = false
      const req = request({ host: '127.0.0.1', port, path: '/expect', method: 'POST', headers: { expect: '100-continue', 'content-length': String(body.length) } }, (res) => {
        let text = ''
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text), sawContinue }))
      })
      req.on('error', reject)
      let sent = false
      const send = () => {
        if (!sent) (sent = true), req.end(body)
      }
      req.on('continue', () => ((sawContinue = true), send()))
      // As curl does: send anyway if no 100 came within 1 s.
      setTimeout(send, 1000)
    })
    expect(answer.status).toBe(200)
    expect(answer.json.bodyBytes).toBe(2_000_000)
    expect(answer.json.headers.expect).toBeUndefined()
  }, 15_000)

  it('Content-Length with Transfer-Encoding is refused with 400 before any upstream request', async () => {
    const before = ups.reduce((s, u) => s + u.requests, 0)
    const out = await raw(port, 'POST /smuggle HTTP/1.1\r\nHost: edge\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 1000)
    expect(out).toMatch(/^HTTP\/1\.1 400 /)
    expect(ups.reduce((s, u) => s + u.requests, 0)).toBe(before)
    expect(logged('/smuggle')).toEqual(['LOG 400 DPE /smuggle'])
  })
})
