/**
 * Issue 13 item 4 (the timeout, hedge and mirror fields): each is enforced as
 * Envoy does, or `validate` says it is not — never accepted silently.
 *   request_timeout        HCM; "the entire request stream to be received", disarmed by the response headers
 *   stream_idle_timeout    HCM, default 5 min (timeouts-body.test.ts covers the body)
 *   max_stream_duration    HCM common_http_protocol_options, and the route's MaxStreamDuration
 *                          (grpc_timeout_header_max / _offset), conn_manager_impl.cc refreshDurationTimeout
 *   idle_timeout           connection-level: a Worker has no downstream connection → a warning
 *   hedge_policy, request_mirror_policies → warnings (the route and the answer stay the same)
 * https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts
 */
import { describe, expect, inject, it } from 'vitest'
import { formatPath } from '../../src/config/issues'
import { loadConfig } from '../../src/config/load'
import { anyHost, bootstrap, compileJson } from '../support/config'
import { drain, logLines, streamApp } from './stream-harness'

const { a } = inject('upstreams') as { a: number }

describe('request_timeout', () => {
  it('answers 504 "request timeout" when no response headers came within it (route timeout off)', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '0s' }, hcm: { request_timeout: '0.4s' } })
    const started = Date.now()
    const res = await app.request('/slow/3000')
    expect(res.status).toBe(504)
    expect(await res.text()).toBe('request timeout')
    expect(Date.now() - started).toBeLessThan(2000)
    expect((await logLines(app.lines))[0]).toMatch(/^504 - \d+ request_timeout /)
    expect(app.stats.counters.get('http.ingress.downstream_rq_timeout')).toBe(1)
  })

  it('answers 408 while the upload is still arriving (Envoy maybeRequestTimeoutCode)', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '0s' }, hcm: { request_timeout: '0.4s' } })
    let sent = false
    const slowUpload = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (!sent) return (sent = true), c.enqueue(new Uint8Array(100))
        await new Promise((r) => setTimeout(r, 2000))
        c.close()
      },
    })
    const res = await app.request('/upload', { method: 'POST', body: slowUpload, headers: { 'content-length': '200' }, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(408)
    expect(await res.text()).toBe('request timeout')
  })

  it('is disarmed once the response headers arrive: a 1.2 s drip outlives a 0.4 s request_timeout', async () => {
    const app = streamApp({ ports: [a], hcm: { request_timeout: '0.4s' } })
    const body = await drain(await app.request('/drip/12?every=100'), Date.now())
    expect(body.error).toBeUndefined()
    expect(body.bytes).toBe(12 * 16)
  })
})

describe('max_stream_duration', () => {
  it("the connection manager's (common_http_protocol_options) resets a body still streaming when it ends", async () => {
    const app = streamApp({ ports: [a], route: { timeout: '0s' }, hcm: { common_http_protocol_options: { max_stream_duration: '0.8s' } } })
    const started = Date.now()
    const body = await drain(await app.request('/drip/40?every=100'), started)
    expect(body.error).toBeDefined()
    expect(body.ms).toBeGreaterThanOrEqual(700)
    expect(body.ms).toBeLessThan(2500)
    expect((await logLines(app.lines))[0]).toMatch(/^200 - \d+ max_duration_timeout /)
    expect(app.stats.counters.get('http.ingress.downstream_rq_max_duration_reached')).toBe(1)
  })

  it('before headers: 504 "downstream duration timeout"', async () => {
    const app = streamApp({ ports: [a], route: { timeout: '0s' }, hcm: { common_http_protocol_options: { max_stream_duration: '0.4s' } } })
    const res = await app.request('/slow/3000')
    expect(res.status).toBe(504)
    expect(await res.text()).toBe('downstream duration timeout')
  })

  it("the route's overrides the connection manager's, and turns the route timeout off (Envoy's usingNewTimeouts)", async () => {
    const app = streamApp({
      ports: [a],
      route: { timeout: '0.3s', max_stream_duration: { max_stream_duration: '3s' } },
      hcm: { common_http_protocol_options: { max_stream_duration: '0.3s' } },
    })
    expect(app.snapshot.listeners[0]!.routeTable.virtualHosts[0]!.routes[0]!.action).toMatchObject({ timeoutMs: 0, maxStreamDuration: { maxMs: 3000 } })
    const body = await drain(await app.request('/drip/8?every=100'), Date.now())
    expect(body.error).toBeUndefined()
    expect(body.bytes).toBe(8 * 16)
  })

  it('takes a gRPC request\'s grpc-timeout, capped by grpc_timeout_header_max, less grpc_timeout_header_offset', async () => {
    const app = streamApp({ ports: [a], route: { max_stream_duration: { grpc_timeout_header_max: '0.9s', grpc_timeout_header_offset: '0.1s' } } })
    const capped = Date.now()
    // grpc-timeout 10 s → capped at 0.9 s → less the offset: 0.8 s.
    const body = await drain(await app.request('/drip/40?every=100', { headers: { 'grpc-timeout': '10S', 'content-type': 'application/grpc' } }), capped)
    expect(body.error).toBeDefined()
    expect(body.ms).toBeGreaterThanOrEqual(700)
    expect(body.ms).toBeLessThan(2500)
    const under = Date.now()
    // grpc-timeout 500m → 0.4 s after the offset.
    const short = await drain(await app.request('/drip/40?every=100', { headers: { 'grpc-timeout': '500m' } }), under)
    expect(short.error).toBeDefined()
    expect(short.ms).toBeLessThan(900)
  })
})

describe('what validate says about the fields a Worker cannot apply', () => {
  const warningsFor = (extra: { hcm?: Record<string, unknown>; route?: Record<string, unknown>; vhost?: Record<string, unknown> }) => {
    const doc = bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'up', ...extra.route } }], extra.vhost), clusters: { up: [a] }, hcm: extra.hcm })
    const r = loadConfig(JSON.stringify(doc))
    expect(r.ok).toBe(true)
    return r.warnings.map((w) => `${formatPath(w.path)}: ${w.message}`)
  }

  it('warns that the connection idle_timeout cannot apply (no downstream connection), and accepts max_stream_duration beside it', () => {
    const w = warningsFor({ hcm: { common_http_protocol_options: { idle_timeout: '60s', max_stream_duration: '30s' } } })
    expect(w).toHaveLength(1)
    expect(w[0]).toMatch(/common_http_protocol_options\.idle_timeout: idle_timeout is ignored: a Worker never sees the downstream connection/)
  })

  it('warns for hedge_policy (route and virtual host) and a virtual host\'s request_mirror_policies (mirroring is implemented on routes: mirror.test.ts), never silent', () => {
    const w = warningsFor({
      route: { hedge_policy: { hedge_on_per_try_timeout: true }, request_mirror_policies: [{ cluster: 'up' }] },
      vhost: { hedge_policy: { hedge_on_per_try_timeout: true }, request_mirror_policies: [{ cluster: 'up' }] },
    })
    expect(w.filter((x) => /hedge_policy is ignored: request hedging is not implemented/.test(x))).toHaveLength(2)
    expect(w.filter((x) => /request_mirror_policies is ignored: request mirroring is implemented on a route's action only/.test(x))).toHaveLength(1)
  })

  it('request_timeout, stream_idle_timeout, idle_timeout and max_stream_duration on routes raise no warning: they are applied', () => {
    expect(warningsFor({ hcm: { request_timeout: '10s', stream_idle_timeout: '60s' }, route: { idle_timeout: '5s', max_stream_duration: { max_stream_duration: '10s', grpc_timeout_header_max: '5s' } } })).toEqual([])
    const listener = compileJson(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'up' } }]), clusters: { up: [a] } })).listeners[0]!
    // Envoy's defaults: stream idle 5 min, request timeout off, no max stream duration.
    expect([listener.streamIdleTimeoutMs, listener.requestTimeoutMs, listener.maxStreamDurationMs]).toEqual([300_000, 0, 0])
  })
})
