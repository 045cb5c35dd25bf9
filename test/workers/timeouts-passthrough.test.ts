/**
 * A listener with no access log and no tracing: nothing observes how a body
 * ends, so a body of known length passes through as the upstream's own stream
 * and the route timeout aborts the upstream fetch (src/upstream/send.ts,
 * abortAtDeadline). Envoy's guarantee must hold all the same: the route
 * timeout spans the whole response ("the amount of time that Envoy will wait
 * for the upstream to respond with a complete response"), and when it fires
 * mid-body the stream is reset — never a clean, truncated end.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routeaction-timeout
 * Stats are charged when the response headers are (Envoy's chargeStats runs in encodeHeaders).
 * The same through real sockets: test/node/passthrough-dev.test.ts.
 */
import { describe, expect, inject, it } from 'vitest'
import { drain, logLines, streamApp } from './stream-harness'

const { a } = inject('upstreams') as { a: number }

describe('no access log: a body of known length passes through, the route timeout still cuts it', () => {
  it('a 2 s route timeout errors a Content-Length slow drip at ~2 s', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '2s' }, accessLog: false })
    const started = Date.now()
    // 60 × 2 KiB (more than SMALL_BODY_BYTES, so not read whole first), one every 100 ms: 6 s of body if nothing stops it.
    const res = await app.request('/drip/60?every=100&sized&piece=2048')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(60 * 2048))
    expect(Date.now() - started).toBeLessThan(1500) // the headers came at once: the body streams
    const body = await drain(res, started)
    expect(body.error).toBeDefined() // a reset, never a clean end
    expect(body.ms).toBeGreaterThanOrEqual(1900)
    expect(body.ms).toBeLessThan(3500)
    expect(body.bytes).toBeGreaterThan(0)
    expect(body.bytes).toBeLessThan(60 * 2048)
  }, 15_000)

  it('a body that ends before the route timeout arrives whole, and the deadline firing later changes nothing', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '1s' }, accessLog: false })
    const res = await app.request('/drip/5?every=50&sized&piece=16384')
    const body = await drain(res, Date.now())
    expect(body.error).toBeUndefined()
    expect(body.bytes).toBe(5 * 16384)
    // The timer fires after the body ended: the next request on the same app is untouched.
    await new Promise((r) => setTimeout(r, 1200))
    const again = await drain(await app.request('/drip/3?every=10&sized&piece=32768'), Date.now())
    expect(again).toMatchObject({ error: undefined, bytes: 3 * 32768 })
  }, 10_000)

  it('an upstream that closes short of its Content-Length errors the body', async () => {
    const app = streamApp({ ports: [a], accessLog: false })
    const body = await drain(await app.request('/big/100000?failAt=30000'), Date.now())
    expect(body.error).toBeDefined()
    expect(body.bytes).toBeLessThan(100_000)
  })

  it('timeout: 0s disables it: a 1.5 s drip completes', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '0s' }, accessLog: false })
    const body = await drain(await app.request('/drip/15?every=100&sized&piece=8192'), Date.now())
    expect(body).toMatchObject({ error: undefined, bytes: 15 * 8192 })
  })

  it('stats are charged with the response headers, before the body has ended', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '5s' }, accessLog: false })
    const res = await app.request('/drip/10?every=100&sized&piece=8192')
    expect(res.status).toBe(200)
    expect(app.stats.counters.get('http.ingress.downstream_rq_2xx')).toBe(1)
    expect(app.stats.counters.get('cluster.up.upstream_rq_200')).toBe(1)
    expect((await drain(res, Date.now())).bytes).toBe(10 * 8192)
  })

  it('a chunked body (no length to keep) is still read through the guard: the timeout errors it too', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '1s' }, accessLog: false })
    const started = Date.now()
    const body = await drain(await app.request('/drip/40?every=100'), started)
    expect(body.error).toBeDefined()
    expect(body.ms).toBeLessThan(2500)
  }, 10_000)
})

describe('a small body of known length is read whole under the route timeout, then handed on as bytes', () => {
  for (const accessLog of [true, false]) {
    it(`arrives whole and is logged with its length${accessLog ? '' : ' (no access log)'}`, async () => {
      const app = streamApp({ ports: [a], route: { timeout: '3s' }, ...(accessLog ? {} : { accessLog: false as const }) })
      const body = await drain(await app.request('/big/50000'), Date.now())
      expect(body).toMatchObject({ error: undefined, bytes: 50_000 })
      if (accessLog) expect((await logLines(app.lines))[0]).toMatch(/^200 - 50000 via_upstream /)
    })

    it(`a route timeout while it is read: the headers, then a reset (UT)${accessLog ? '' : ' (no access log)'}`, async () => {
      const app = streamApp({ ports: [a], route: { timeout: '1s' }, ...(accessLog ? {} : { accessLog: false as const }) })
      const started = Date.now()
      const res = await app.request('/drip/30?every=100&sized')
      expect(res.status).toBe(200)
      const body = await drain(res, started)
      expect(body.error).toBeDefined()
      expect(body.ms).toBeGreaterThanOrEqual(900)
      expect(body.ms).toBeLessThan(2500)
      if (accessLog) expect((await logLines(app.lines))[0]).toMatch(/^200 UT 0 upstream_timeout /)
    }, 10_000)
  }

  it('an upstream that closes short of its Content-Length: a reset, logged UR', async () => {
    const app = streamApp({ ports: [a] })
    const body = await drain(await app.request('/big/50000?failAt=20000'), Date.now())
    expect(body.error).toBeDefined()
    expect(body.bytes).toBeLessThan(50_000)
    expect((await logLines(app.lines))[0]).toMatch(/^200 UR 0 upstream_reset /)
  })
})
