/**
 * Retries replay only buffered bodies: a 10 KiB POST that hits a 503 goes to
 * another host with the same bytes; a 20 MiB streamed upload is never retried
 * (it is over per_request_buffer_limit_bytes) and arrives whole.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing#retry-semantics
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-route-per-request-buffer-limit-bytes
 */
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import type { EchoBody } from '../support/upstream-types'
import { envoyConfig, proxyFor } from './health-harness'

const control = controlClient(inject('upstreamControl'))
const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('')

async function twoHosts(prefix: string) {
  const bad = `${prefix}-503`
  const good = `${prefix}-ok`
  const ports = [(await control.start(bad)).port, (await control.start(good)).port]
  await control.setBehavior(bad, { status: 503 })
  await control.setBehavior(good, {})
  return { bad, good, ports }
}

describe('retry with request bodies', () => {
  it('replays a 10 KiB POST body, byte for byte, on another host after a 503', async () => {
    const { bad, good, ports } = await twoHosts('retry-body-small')
    const proxy = proxyFor(
      envoyConfig(
        { name: 'retry_body_small', endpoints: ports.map((port) => ({ port })) },
        { retry_policy: { retry_on: '5xx', num_retries: 1, retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }] } },
      ),
    )
    const body = new Uint8Array(10 * 1024)
    crypto.getRandomValues(body)
    const expected = hex(await crypto.subtle.digest('SHA-256', body))
    const badBefore = (await control.state(bad)).requests
    for (let i = 0; i < 6; i++) {
      const res = await proxy.fetch('/upload', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })
      expect(res.status).toBe(200)
      const echo = (await res.json()) as EchoBody
      expect(echo.id).toBe(good)
      expect(echo.bodyBytes).toBe(body.byteLength)
      expect(echo.bodySha256).toBe(expected)
    }
    // Retries advance the rotation too, so the 503 host keeps getting first tries: every one was retried.
    expect((await control.state(bad)).requests - badBefore).toBeGreaterThanOrEqual(3)
  })

  it('never retries a 20 MiB streamed upload; it arrives intact', async () => {
    const { bad, good, ports } = await twoHosts('retry-body-big')
    const proxy = proxyFor(
      envoyConfig({ name: 'retry_body_big', endpoints: ports.map((port) => ({ port })) }, { retry_policy: { retry_on: '5xx', num_retries: 3 } }),
    )
    const size = 20 * 1024 * 1024
    const pattern = new Uint8Array(size)
    for (let i = 0; i < size; i++) pattern[i] = i % 251
    const expected = hex(await crypto.subtle.digest('SHA-256', pattern))
    const before = { bad: (await control.state(bad)).requests, good: (await control.state(good)).requests }
    const statuses: number[] = []
    for (let i = 0; i < 2; i++) {
      let offset = 0
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= size) return controller.close()
          controller.enqueue(pattern.slice(offset, (offset += 256 * 1024)))
        },
      })
      const res = await proxy.fetch('/upload', { method: 'POST', body: stream })
      statuses.push(res.status)
      // The 503 host echoes what it received too: the body is whole either way.
      const echo = (await res.json()) as EchoBody
      expect(echo.bodyBytes).toBe(size)
      expect(echo.bodySha256).toBe(expected)
    }
    // One try each: the 503 reached the client instead of a retry with a partial body.
    expect(statuses.sort()).toEqual([200, 503])
    expect((await control.state(bad)).requests - before.bad).toBe(1)
    expect((await control.state(good)).requests - before.good).toBe(1)
  }, 20_000)
})
