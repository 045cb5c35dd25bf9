/**
 * Issue 13 item 7, as the attack: a slow-drip body must not outlive the route
 * timeout, and a stalled one must not outlive stream_idle_timeout. Envoy's
 * route timeout "is the amount of time that Envoy will wait for the upstream to
 * respond with a complete response"; when it fires mid-body the stream is
 * reset (UT), and a stall longer than the stream idle timeout resets it too (SI).
 * https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#config-access-log-format-response-flags
 */
import { describe, expect, inject, it } from 'vitest'
import { drain, logLines, streamApp } from './stream-harness'

const { a } = inject('upstreams') as { a: number }

describe('route timeout over the whole body', () => {
  it('a 2 s route timeout cuts a slow-drip body at ~2 s: the body errors, the log says UT', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '2s' } })
    const started = Date.now()
    // 60 × 16 bytes, one every 100 ms: 6 s of body if nothing stops it.
    const res = await app.request('/drip/60?every=100')
    expect(res.status).toBe(200)
    const body = await drain(res, started)
    expect(body.error).toBeDefined() // a reset, never a clean end
    expect(body.ms).toBeGreaterThanOrEqual(1900)
    expect(body.ms).toBeLessThan(3500)
    expect(body.bytes).toBeGreaterThan(0)
    expect(body.bytes).toBeLessThan(60 * 16)
    const [line] = await logLines(app.lines)
    expect(line).toMatch(/^200 UT \d+ upstream_timeout /)
    expect(Number(line!.split(' ')[2])).toBe(body.bytes)
    expect(app.stats.counters.get('cluster.up.upstream_rq_timeout')).toBe(1)
  }, 15_000)

  it('a body that ends before the route timeout is delivered whole, with no flag', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '3s' } })
    const res = await app.request('/drip/5?every=50')
    const body = await drain(res, Date.now())
    expect(body.error).toBeUndefined()
    expect(body.bytes).toBe(5 * 16)
    expect((await logLines(app.lines))[0]).toMatch(/^200 - 80 via_upstream /)
  })

  it('timeout: 0s disables it: a 1.5 s drip completes under a 0 route timeout', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '0s' } })
    const body = await drain(await app.request('/drip/15?every=100'), Date.now())
    expect(body.error).toBeUndefined()
    expect(body.bytes).toBe(15 * 16)
  })

  it('per_try_timeout bounds only the wait for headers, not the body (Envoy: "only applies before any part of the response is sent")', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '5s', retry_policy: { retry_on: '5xx', num_retries: 1, per_try_timeout: '0.3s' } } })
    const body = await drain(await app.request('/drip/8?every=100'), Date.now())
    expect(body.error).toBeUndefined()
    expect(body.bytes).toBe(8 * 16)
  })
})

describe('a body of known length under a deadline only: piped natively (pipeBody), same resets', () => {
  // The stream idle timeout (5 min by default) cannot fire before a 2 s route timeout, so no JS reads the body.
  it('a 2 s route timeout cuts a Content-Length slow drip at ~2 s: the body errors, the log says UT (bytes unknown: 0)', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '2s' } })
    const started = Date.now()
    const res = await app.request('/drip/60?every=100&sized')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(60 * 16))
    const body = await drain(res, started)
    expect(body.error).toBeDefined()
    expect(body.ms).toBeGreaterThanOrEqual(1900)
    expect(body.ms).toBeLessThan(3500)
    expect(body.bytes).toBeLessThan(60 * 16)
    const [line] = await logLines(app.lines)
    expect(line).toMatch(/^200 UT 0 upstream_timeout /)
    expect(app.stats.counters.get('cluster.up.upstream_rq_timeout')).toBe(1)
  }, 15_000)

  it('a Content-Length body that ends in time arrives whole, logged with its length and no flag', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '3s' } })
    const body = await drain(await app.request('/drip/5?every=50&sized'), Date.now())
    expect(body.error).toBeUndefined()
    expect(body.bytes).toBe(5 * 16)
    expect((await logLines(app.lines))[0]).toMatch(/^200 - 80 via_upstream /)
  })
})

describe('stream idle timeout', () => {
  it('a stall longer than stream_idle_timeout resets the stream (SI), though the route timeout is far off', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '30s' }, hcm: { stream_idle_timeout: '0.5s' } })
    const started = Date.now()
    // 1 KiB now, the next after 5 s.
    const res = await app.request('/slow-body/5000')
    const body = await drain(res, started)
    expect(body.error).toBeDefined()
    expect(body.bytes).toBe(1024)
    expect(body.ms).toBeLessThan(2500)
    expect((await logLines(app.lines))[0]).toMatch(/^200 SI 1024 stream_idle_timeout /)
    expect(app.stats.counters.get('http.ingress.downstream_rq_idle_timeout')).toBe(1)
  }, 15_000)

  it('a steady drip is not idle: chunks every 100 ms pass a 0.5 s idle timeout', async () => {
    const app = streamApp({ ports: [a], hcm: { stream_idle_timeout: '0.5s' } })
    const body = await drain(await app.request('/drip/12?every=100'), Date.now())
    expect(body.error).toBeUndefined()
    expect(body.bytes).toBe(12 * 16)
  })

  it("the route's idle_timeout overrides the connection manager's", async () => {
    const app = streamApp({ ports: [a], route: { idle_timeout: '0.3s' }, hcm: { stream_idle_timeout: '60s' } })
    const started = Date.now()
    const body = await drain(await app.request('/slow-body/3000'), started)
    expect(body.error).toBeDefined()
    expect(body.ms).toBeLessThan(2000)
    expect((await logLines(app.lines))[0]).toMatch(/^200 SI /)
  })

  it('also bounds the wait for response headers: 504 "stream timeout", SI', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '0s' }, hcm: { stream_idle_timeout: '0.4s' } })
    const started = Date.now()
    const res = await app.request('/slow/3000')
    expect(res.status).toBe(504)
    expect(await res.text()).toBe('stream timeout')
    expect(Date.now() - started).toBeLessThan(2000)
    expect((await logLines(app.lines))[0]).toMatch(/^504 SI /)
  })
})
