/**
 * Issue 13 item 6, as the attack: a client that breaks its own request must
 * not be able to eject healthy hosts. Envoy records a client that goes away as
 * a downstream disconnect (DC) and never charges it to the upstream host: no
 * outlier report, no connect-failure stat, no retry on another host. A request
 * with both Content-Length and Transfer-Encoding is refused by Envoy's HTTP/1
 * codec (400, DPE) unless allow_chunked_length is set.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#config-access-log-format-response-flags
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/protocol.proto#envoy-v3-api-field-config-core-v3-http1protocoloptions-allow-chunked-length
 */
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import { logLines, streamApp } from './stream-harness'

const control = controlClient(inject('upstreamControl'))

/** An upload that sends `sent` bytes of a declared `declared`, then fails (`error`) or just stops. */
function brokenUpload(sent: number, ending: 'error' | 'short'): ReadableStream<Uint8Array> {
  let done = false
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (!done) {
        done = true
        return c.enqueue(new Uint8Array(sent).fill(1))
      }
      await new Promise((r) => setTimeout(r, 30))
      if (ending === 'error') c.error(new Error('client went away'))
      else c.close()
    },
  })
}

const OUTLIER = { outlier_detection: { consecutive_5xx: 1, consecutive_gateway_failure: 1, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 100 } }

async function twoHosts(prefix: string) {
  const ids = [`${prefix}-1`, `${prefix}-2`]
  const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
  const requests = async () => (await Promise.all(ids.map(async (id) => (await control.state(id)).requests))).reduce((x, y) => x + y, 0)
  return { ports, requests }
}

describe('client failures are the client’s, not the host’s', () => {
  it('six aborted uploads eject no host, log DC, and count no connect failure', async () => {
    const { ports } = await twoHosts('dc-abort')
    const app = streamApp({ ports, cluster: OUTLIER })
    for (let i = 0; i < 6; i++) {
      const res = await app.request('/upload', { method: 'POST', body: brokenUpload(20_000, 'error'), headers: { 'content-length': '100000' }, duplex: 'half' } as RequestInit)
      expect(res.status).toBe(499)
      await res.body?.cancel()
    }
    const lines = await logLines(app.lines, 6)
    expect(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(Array(6).fill('499 DC'))
    const status = app.status()
    expect(status.hosts.every((h) => h.ejections === 0)).toBe(true)
    expect(app.stats.counters.get('http.ingress.downstream_cx_destroy_remote_active_rq')).toBe(6)
    expect(app.stats.counters.get('cluster.up.upstream_cx_connect_fail')).toBeUndefined()
    // The hosts still answer.
    for (let i = 0; i < 2; i++) expect((await app.request('/ok')).status).toBe(200)
  })

  it('a body shorter than its Content-Length is DC too', async () => {
    const { ports } = await twoHosts('dc-short')
    const app = streamApp({ ports, cluster: OUTLIER })
    const res = await app.request('/upload', { method: 'POST', body: brokenUpload(500, 'short'), headers: { 'content-length': '1000' }, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(499)
    expect((await logLines(app.lines))[0]).toMatch(/^499 DC /)
    expect(app.status().hosts.every((h) => h.ejections === 0)).toBe(true)
  })

  it('is never retried against another host (streamed body)', async () => {
    const { ports, requests } = await twoHosts('dc-noretry')
    const app = streamApp({ ports, cluster: OUTLIER, route: { retry_policy: { retry_on: 'connect-failure,reset,5xx', num_retries: 3 } } })
    const before = await requests()
    // Over the 1 MiB buffer limit: streamed, so the upload failure happens mid-forward.
    const res = await app.request('/upload', { method: 'POST', body: brokenUpload(200_000, 'error'), headers: { 'content-length': String(4 * 1024 * 1024) }, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(499)
    await new Promise((r) => setTimeout(r, 100))
    expect((await requests()) - before).toBeLessThanOrEqual(1)
    expect(app.status().hosts.every((h) => h.ejections === 0)).toBe(true)
  })

  it('is never retried when it fails while being buffered for retries (no upstream request at all)', async () => {
    const { ports, requests } = await twoHosts('dc-buffered')
    const app = streamApp({ ports, cluster: OUTLIER, route: { retry_policy: { retry_on: 'connect-failure,5xx', num_retries: 3 } } })
    const before = await requests()
    const res = await app.request('/upload', { method: 'POST', body: brokenUpload(2000, 'error'), headers: { 'content-length': '5000' }, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(499)
    expect((await requests()) - before).toBe(0)
    expect((await logLines(app.lines))[0]).toMatch(/^499 DC /)
  })

  it('Content-Length with Transfer-Encoding: 400, DPE, nothing sent upstream', async () => {
    const { ports, requests } = await twoHosts('dc-clte')
    const app = streamApp({ ports, cluster: OUTLIER })
    const before = await requests()
    const res = await app.request('/smuggle', { method: 'POST', body: 'hello', headers: { 'content-length': '5', 'transfer-encoding': 'chunked' } })
    expect(res.status).toBe(400)
    expect((await logLines(app.lines))[0]).toMatch(/^400 DPE /)
    expect((await requests()) - before).toBe(0)
    expect(app.status().hosts.every((h) => h.ejections === 0)).toBe(true)
  })
})
