/**
 * Tracing end to end: a Worker in workerd (Miniflare) serving a config whose
 * bootstrap names a Zipkin collector, a real upstream, and a Zipkin-compatible
 * collector on 127.0.0.1. The front hop's span must arrive (sent after the
 * response with ctx.waitUntil), child of the caller's span, and be the parent
 * the upstream was told about.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/observability/tracing
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/trace/v3/zipkin.proto
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { anyHost, bootstrapYaml, stdoutAccessLog } from '../support/envoy-config'
import { startObservabilityWorker, type ObservabilityWorker } from '../support/observability-worker'
import type { EchoBody } from '../support/upstream-types'
import { startZipkinCollector, type ZipkinCollector } from '../support/zipkin-collector'

const upstreams = inject('upstreams')

const config = (collectorPort: number) =>
  bootstrapYaml({
    top_level: {
      node: { id: 'front', cluster: 'front-proxy' },
      tracing: {
        http: {
          name: 'envoy.tracers.zipkin',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
            collector_cluster: 'zipkin',
            collector_endpoint: '/api/v2/spans',
            collector_endpoint_version: 'HTTP_JSON',
          },
        },
      },
    },
    listener: { name: 'front' },
    hcm: {
      stat_prefix: 'ingress_http',
      tracing: { random_sampling: { value: 0 } },
      access_log: stdoutAccessLog('ACCESS %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER%\n'),
    },
    virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'svc_a' } }]),
    clusters: { svc_a: [upstreams.a!], zipkin: [collectorPort] },
  })

describe('Zipkin export', () => {
  let collector: ZipkinCollector
  let worker: ObservabilityWorker
  beforeAll(async () => {
    collector = await startZipkinCollector()
    worker = await startObservabilityWorker(config(collector.port))
  })
  afterAll(async () => {
    await worker?.dispose()
    await collector?.close()
  })

  it('sends the front hop as a child of the caller, and the upstream sees it as parent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const caller = '00f067aa0ba902b7'
    const res = await fetch(`${worker.url}echo?q=1`, { headers: { traceparent: `00-${traceId}-${caller}-01`, 'x-request-id': 'zipkin-1' } })
    const echo = (await res.json()) as EchoBody
    const hop = echo.headers['x-b3-spanid'] as string
    expect(hop).toMatch(/^[0-9a-f]{16}$/)
    expect(echo.headers['x-b3-parentspanid']).toBe(caller)
    expect(echo.headers.traceparent).toBe(`00-${traceId}-${hop}-01`)

    const span = await collector.waitFor((s) => s.traceId === traceId)
    expect(span).toMatchObject({
      traceId,
      id: hop,
      parentId: caller,
      kind: 'SERVER',
      localEndpoint: { serviceName: 'front-proxy' },
      remoteEndpoint: { ipv4: '127.0.0.1', port: upstreams.a },
    })
    expect(span.tags).toMatchObject({ 'http.method': 'GET', 'http.status_code': '200', upstream_cluster: 'svc_a', 'guid:x-request-id': 'zipkin-1', component: 'proxy' })
    expect(span.duration).toBeGreaterThan(0)
  })

  it('samples by random_sampling (0 here) unless an internal caller sets x-envoy-force-trace (an external one cannot)', async () => {
    const before = collector.spans.length
    await (await fetch(`${worker.url}unsampled`)).arrayBuffer()
    await (await fetch(`${worker.url}forged`, { headers: { 'x-envoy-force-trace': '1' } })).arrayBuffer()
    const forced = await fetch(`${worker.url}forced`, { headers: { 'x-envoy-force-trace': '1', 'x-request-id': 'forced-1', 'x-test-internal': '1' } })
    await forced.arrayBuffer()
    const span = await collector.waitFor((s) => s.tags?.['guid:x-request-id'] === 'forced-1')
    expect(span.parentId).toBeUndefined()
    const late = collector.spans.slice(before)
    expect(late.filter((s) => s.tags?.['http.url']?.endsWith('/unsampled') || s.tags?.['http.url']?.endsWith('/forged'))).toHaveLength(0)
  })

  it('prints one access log line per request on the Worker console', async () => {
    await (await fetch(`${worker.url}logged/1`)).arrayBuffer()
    const deadline = Date.now() + 3000
    while (!worker.stdout.some((l) => l.includes('ACCESS GET /logged/1')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    expect(worker.stdout.filter((l) => l.includes('ACCESS GET /logged/1'))).toEqual(['ACCESS GET /logged/1 200 - svc_a'])
  })
})
