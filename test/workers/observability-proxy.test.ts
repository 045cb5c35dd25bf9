/**
 * Access logs, response flags, stats and trace headers for requests through a
 * whole listener app (routing, filters, forwarding) to real upstreams on
 * 127.0.0.1. Envoy's behaviour is the spec:
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--stats-prometheus
 */
import { Hono } from 'hono'
import { describe, expect, inject, it } from 'vitest'
import { ProxyError } from '../../src/errors'
import { statsRoutes } from '../../src/observability/admin-routes'
import { StatsStore } from '../../src/observability/stats'
import { buildListenerApp, type ProxyEnv } from '../../src/router/app'
import { compileText } from '../../src/state/base-config'
import { ClusterManager } from '../../src/upstream/cluster-manager'
import { bootstrapYaml, connect1s, ROUTER } from '../support/envoy-config'
import { parsePrometheus, valueOf } from '../support/prometheus-parser'
import type { EchoBody } from '../support/upstream-types'

const upstreams = inject('upstreams')
const unusedPort = inject('unusedPort')

/** One listener `front` (stat_prefix ingress_http) with `hcm` merged into its connection manager. */
const config = (hcm: Record<string, unknown>, http_filters?: unknown[]): string =>
  bootstrapYaml({
    listener: { name: 'front' },
    hcm: { stat_prefix: 'ingress_http', ...hcm },
    http_filters,
    virtual_hosts: [
      {
        name: 'edge',
        domains: ['edge.example.com'],
        routes: [
          { match: { prefix: '/slow' }, route: { cluster: 'svc_a', timeout: '0.2s' } },
          { match: { prefix: '/down' }, route: { cluster: 'svc_down' } },
          { match: { prefix: '/limited' }, route: { cluster: 'svc_a' } },
          { match: { prefix: '/' }, route: { cluster: 'svc_a' } },
        ],
      },
    ],
    clusters: { svc_a: connect1s(upstreams.a!), svc_down: connect1s(unusedPort) },
  })

/** The app for `hcm` (and `http_filters`), its own stats store, and the access log lines it writes. */
function listenerApp(hcm: Record<string, unknown> = {}, http_filters?: unknown[]) {
  const snapshot = compileText(config(hcm, http_filters))
  const lines: string[] = []
  const stats = new StatsStore({ isolateId: 'test' })
  const deps = {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    bindings: {},
    clusters: new ClusterManager({ random: Math.random, now: Date.now }),
    random: Math.random,
    now: Date.now,
    stats,
    logSinks: { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(`stderr:${l}`) },
  }
  const app = buildListenerApp(snapshot, snapshot.listeners[0]!, deps)
  const send = async (path: string, init: RequestInit & { host?: string } = {}) => {
    const res = await app.request(`http://${init.host ?? 'edge.example.com'}${path}`, init)
    await res.arrayBuffer()
    return res
  }
  return { app, lines, stats, send, admin: statsRoutes({ stats }) }
}

const FILE_LOG = (log_format: Record<string, unknown>) => ({
  access_log: [
    {
      name: 'envoy.access_loggers.file',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: '/dev/stdout', log_format },
    },
  ],
})
const TEXT_LOG = (text_format: string) => FILE_LOG({ text_format })

describe('access log', () => {
  it("writes Envoy's default format, one line per request", async () => {
    const { send, lines } = listenerApp({
      access_log: [{ name: 'envoy.access_loggers.stdout', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog' } }],
    })
    await send('/hello?x=1', { headers: { 'user-agent': 'curl/8', 'x-request-id': 'req-1' } })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      new RegExp(
        String.raw`^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "GET /hello\?x=1 HTTP/1\.1" 200 - 0 (\d+|-) \d+ \d+ "-" "curl/8" "req-1" "edge\.example\.com" "127\.0\.0\.1:${upstreams.a}"$`,
      ),
    )
  })

  it('sets UT for a route timeout, UF for a connect failure, NR for no route', async () => {
    const { send, lines } = listenerApp(TEXT_LOG('%RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER% %REQ(:PATH)% %BYTES_SENT%\n'))
    expect((await send('/slow/2000')).status).toBe(504)
    expect((await send('/down')).status).toBe(503)
    expect((await send('/x', { host: 'nowhere.example.com' })).status).toBe(404)
    expect((await send('/ok')).status).toBe(200)
    // Local replies are sized; Envoy's bodies: "upstream request timeout", "upstream connect error …", none for NR.
    expect(lines.slice(0, 3)).toEqual(['504 UT svc_a /slow/2000 24', '503 UF svc_down /down 91', '404 NR - /x 0'])
    expect(lines[3]).toMatch(/^200 - svc_a \/ok (\d+|-)$/)
  })

  it('renders json_format with typed values and null for unset ones', async () => {
    const { send, lines } = listenerApp(
      FILE_LOG({
        json_format: {
          status: '%RESPONSE_CODE%',
          flags: '%RESPONSE_FLAGS%',
          line: '%REQ(:METHOD)% %REQ_WITHOUT_QUERY(:PATH)%',
          upstream: { host: '%UPSTREAM_HOST%', cluster: '%UPSTREAM_CLUSTER%' },
          ua: '%REQ(USER-AGENT):4%',
          fixed: 7,
        },
      }),
    )
    await send('/a/b?q=1', { headers: { 'user-agent': 'Mozilla/5.0' } })
    expect(JSON.parse(lines[0]!)).toEqual({
      status: 200,
      flags: null,
      line: 'GET /a/b',
      upstream: { host: `127.0.0.1:${upstreams.a}`, cluster: 'svc_a' },
      ua: 'Mozi',
      fixed: 7,
    })
  })

  it('logs the x-request-id the upstream received when the client sent none', async () => {
    const { app, lines } = listenerApp(TEXT_LOG('%REQ(X-REQUEST-ID)%'))
    const res = await app.request('http://edge.example.com/echo')
    const echo = (await res.json()) as EchoBody
    expect(lines[0]).toMatch(/^[0-9a-f-]{36}$/)
    expect(echo.headers['x-request-id']).toBe(lines[0])
  })

  it("logs %PROTOCOL% from the request's cf.httpProtocol, HTTP/1.1 without one", async () => {
    const { send, lines } = listenerApp(TEXT_LOG('%PROTOCOL%'))
    await send('/echo', { cf: { httpProtocol: 'HTTP/2' } } as RequestInit)
    await send('/echo')
    expect(lines).toEqual(['HTTP/2', 'HTTP/1.1'])
  })

  it('forwards request bodies intact and logs their size', async () => {
    const { app, lines } = listenerApp(TEXT_LOG('%BYTES_RECEIVED% %BYTES_SENT% %RESP(CONTENT-TYPE)%'))
    const res = await app.request('http://edge.example.com/echo', { method: 'POST', body: 'x'.repeat(1000), headers: { 'content-length': '1000' } })
    const text = await res.text()
    const echo = JSON.parse(text) as EchoBody
    expect(echo.bodyBytes).toBe(1000)
    // %BYTES_SENT%: the body bytes that reached the client, counted as they streamed (the line is written at the end of the stream).
    expect(lines[0]).toBe(`1000 ${new TextEncoder().encode(text).byteLength} ${res.headers.get('content-type')}`)
  })

  it('gives the 429 of the real local_ratelimit filter the RL flag', async () => {
    // https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#config-access-log-format-response-flags
    // RL: "The request was rate-limited locally by the HTTP rate limit filter".
    const { send, lines } = listenerApp(TEXT_LOG('%RESPONSE_CODE% %RESPONSE_FLAGS%\n'), [
      {
        name: 'envoy.filters.http.local_ratelimit',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
          stat_prefix: 'rl',
          token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '60s' },
          filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
          filter_enforced: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
        },
      },
      ROUTER,
    ])
    expect((await send('/limited')).status).toBe(200)
    const res = await send('/limited')
    expect(res.status).toBe(429)
    expect(res.headers.get('x-envoy-ratelimited')).toBe('true')
    expect(lines).toEqual(['200 -', '429 RL'])
  })
})

describe('stats', () => {
  it('counts requests by Envoy name, and /stats/prometheus parses and matches exactly', async () => {
    const { send, admin } = listenerApp()
    for (let i = 0; i < 3; i++) await send('/ok')
    await send('/status/503')
    await send('/status/404')
    await send('/slow/2000')
    await send('/down')
    await send('/x', { host: 'nowhere.example.com' })

    const text = await (await admin.request('/stats')).text()
    const stat = (name: string) => Number(new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(text)?.[1])
    expect(stat('http.ingress_http.downstream_rq_total')).toBe(8)
    expect(stat('http.ingress_http.downstream_rq_2xx')).toBe(3)
    expect(stat('http.ingress_http.downstream_rq_4xx')).toBe(2)
    expect(stat('http.ingress_http.downstream_rq_5xx')).toBe(3)
    expect(stat('http.ingress_http.no_route')).toBe(1)
    expect(stat('cluster.svc_a.upstream_rq_total')).toBe(6)
    expect(stat('cluster.svc_a.upstream_rq_2xx')).toBe(3)
    expect(stat('cluster.svc_a.upstream_rq_5xx')).toBe(2)
    expect(stat('cluster.svc_a.upstream_rq_504')).toBe(1)
    expect(stat('cluster.svc_a.upstream_rq_timeout')).toBe(1)
    expect(stat('cluster.svc_down.upstream_cx_connect_fail')).toBe(1)
    expect(text).toMatch(/^http\.ingress_http\.downstream_rq_time: P0\(nan,/m)

    const res = await admin.request('/stats/prometheus')
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const families = parsePrometheus(await res.text())
    const labels = { envoy_cluster_name: 'svc_a', edgevoy_isolate: 'test' }
    expect(families.get('envoy_cluster_upstream_rq_total')?.type).toBe('counter')
    expect(valueOf(families, 'envoy_cluster_upstream_rq_total', labels)).toBe(6)
    expect(valueOf(families, 'envoy_cluster_upstream_rq_xx', { ...labels, envoy_response_code_class: '2' })).toBe(3)
    expect(valueOf(families, 'envoy_cluster_upstream_rq_xx', { ...labels, envoy_response_code_class: '5' })).toBe(2)
    expect(valueOf(families, 'envoy_cluster_upstream_rq', { ...labels, envoy_response_code: '404' })).toBe(1)
    expect(valueOf(families, 'envoy_cluster_upstream_rq_timeout', labels)).toBe(1)
    expect(valueOf(families, 'envoy_cluster_upstream_cx_connect_fail', { envoy_cluster_name: 'svc_down' })).toBe(1)
    const http = { envoy_http_conn_manager_prefix: 'ingress_http' }
    expect(valueOf(families, 'envoy_http_downstream_rq_total', http)).toBe(8)
    expect(valueOf(families, 'envoy_http_downstream_rq_xx', { ...http, envoy_response_code_class: '4' })).toBe(2)
    expect(families.get('envoy_http_downstream_rq_time')?.type).toBe('histogram')
    expect(valueOf(families, 'envoy_http_downstream_rq_time_count', http)).toBe(8)
    expect(valueOf(families, 'envoy_http_downstream_rq_time_bucket', { ...http, le: '+Inf' })).toBe(8)

    const json = (await (await admin.request('/stats?format=json')).json()) as { stats: { name?: string; value?: number }[]; edgevoy: { scope: string } }
    expect(json.stats.find((s) => s.name === 'cluster.svc_a.upstream_rq_total')?.value).toBe(6)
    expect(json.edgevoy.scope).toBe('isolate')
  })

  it('writes one Analytics Engine data point per request when ANALYTICS is bound', async () => {
    const { app } = listenerApp()
    // A recording stand-in for the binding (the pool's wrangler.toml binds no dataset).
    const points: { indexes?: string[]; blobs?: (string | null)[]; doubles?: number[] }[] = []
    const env = { ANALYTICS: { writeDataPoint: (p: (typeof points)[number]) => points.push(p) } }
    await (await app.request('http://edge.example.com/ok', {}, env)).arrayBuffer()
    await (await app.request('http://edge.example.com/down', {}, env)).arrayBuffer()
    expect(points).toHaveLength(2)
    expect(points[0]).toMatchObject({ indexes: ['svc_a'], blobs: ['front', 'svc_a', `127.0.0.1:${upstreams.a}`, '-', 'GET', '#3', '2xx'] })
    expect(points[1]!.blobs?.[3]).toBe('UF')
    expect(points[1]!.doubles?.slice(0, 2)).toEqual([1, 503])
  })

  it('filters /stats by regex', async () => {
    const { send, admin } = listenerApp()
    await send('/ok')
    const text = await (await admin.request('/stats?filter=upstream_rq_total')).text()
    expect(text).toBe('cluster.svc_a.upstream_rq_total: 1\n')
  })
})

describe('trace headers', () => {
  const TRACING = { tracing: { random_sampling: { value: 100 } } }

  it('continues a W3C trace with a new span id whose parent is the caller', async () => {
    const { app } = listenerApp(TRACING)
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const res = await app.request('http://edge.example.com/echo', { headers: { traceparent, tracestate: 'vendor=1' } })
    const { headers } = (await res.json()) as EchoBody
    const m = /^00-4bf92f3577b34da6a3ce929d0e0e4736-([0-9a-f]{16})-01$/.exec(headers.traceparent as string)
    expect(m).not.toBeNull()
    expect(m![1]).not.toBe('00f067aa0ba902b7')
    expect(headers.tracestate).toBe('vendor=1')
    expect(headers['x-b3-traceid']).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(headers['x-b3-spanid']).toBe(m![1])
    expect(headers['x-b3-parentspanid']).toBe('00f067aa0ba902b7')
    expect(headers['x-b3-sampled']).toBe('1')
  })

  it('continues a B3 trace and keeps the caller\'s sampling decision', async () => {
    const { app } = listenerApp(TRACING)
    const res = await app.request('http://edge.example.com/echo', {
      headers: { 'x-b3-traceid': '463ac35c9f6413ad', 'x-b3-spanid': 'a2fb4a1d1a96d312', 'x-b3-sampled': '0' },
    })
    const { headers } = (await res.json()) as EchoBody
    expect(headers['x-b3-traceid']).toBe('0000000000000000463ac35c9f6413ad')
    expect(headers['x-b3-parentspanid']).toBe('a2fb4a1d1a96d312')
    expect(headers['x-b3-spanid']).toMatch(/^[0-9a-f]{16}$/)
    expect(headers['x-b3-sampled']).toBe('0')
  })

  it("the access log reads the one header map: the trace context sent upstream and a filter's header (Envoy injects the context into the downstream headers its log reads)", async () => {
    // upstream_request.cc: activeSpan().injectContext(*parent_.downstreamHeaders(), …)
    const mutation = {
      name: 'envoy.filters.http.header_mutation',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
        mutations: { request_mutations: [{ append: { header: { key: 'x-filter-added', value: 'by-the-filter' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' } }] },
      },
    }
    const { app, lines } = listenerApp({ ...TRACING, ...FILE_LOG({ text_format: '%REQ(X-B3-SPANID)% %REQ(X-FILTER-ADDED)% %REQ(X-REQUEST-ID)%\n' }) }, [mutation, ROUTER])
    const { headers } = (await (await app.request('http://edge.example.com/echo')).json()) as EchoBody
    expect(headers['x-b3-spanid']).toMatch(/^[0-9a-f]{16}$/)
    await expect.poll(() => lines.length).toBe(1)
    expect(lines[0]!.trim()).toBe(`${headers['x-b3-spanid']} by-the-filter ${headers['x-request-id']}`)
  })

  it('leaves trace headers alone when the connection manager has no tracing', async () => {
    const { app } = listenerApp()
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const { headers } = (await (await app.request('http://edge.example.com/echo', { headers: { traceparent } })).json()) as EchoBody
    expect(headers.traceparent).toBe(traceparent)
    expect(headers['x-b3-spanid']).toBeUndefined()
  })
})
