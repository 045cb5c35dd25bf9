/**
 * The pieces without a network: format strings, START_TIME, the access_log
 * schema, trace context parsing, sampling, Prometheus naming.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage
 * https://www.w3.org/TR/trace-context/#traceparent-header
 * https://github.com/openzipkin/b3-propagation
 */
import { describe, expect, it } from 'vitest'
import { accessLog } from '../../src/config/schema/access-log'
import { warningMode } from '../../src/config/schema/envoy-object'
import { DEFAULT_FORMAT, lowerAccessLog, lowerTracing as tracingConfig, parseLogFormat } from '../../src/compile/observability'
import { compileFormat as bind, renderText } from '../../src/observability/access-log/format'
import { buildAccessLoggers } from '../../src/observability/access-log/loggers'
import type { LogRecord } from '../../src/observability/access-log/record'
import { formatStartTime } from '../../src/observability/access-log/start-time'
import { renderPrometheus, toSeries } from '../../src/observability/prometheus'
import { StatsStore } from '../../src/observability/stats'
import { shouldSample } from '../../src/observability/tracing/config'
import { extractTrace, injectTrace, startSpan } from '../../src/observability/tracing/context'
import { parsePrometheus, valueOf } from '../support/prometheus-parser'

const T = Date.UTC(2016, 3, 15, 20, 17, 0, 310)

const compileFormat = (format: string) => bind(parseLogFormat(format))

function record(over: Partial<LogRecord> = {}): LogRecord {
  return {
    startTime: T,
    durationMs: 12,
    request: new Request('https://edge.example.com/a/b?c=d', { headers: { 'user-agent': 'curl/8', 'x-forwarded-for': '10.0.0.1' } }),
    requestId: 'id-1',
    responseCode: 200,
    responseHeaders: new Headers({ 'x-envoy-upstream-service-time': '9' }),
    responseFlags: [],
    responseCodeDetails: 'via_upstream',
    upstreamHost: '10.1.2.3:80',
    upstreamCluster: 'svc',
    upstreamFailure: undefined,
    routeName: 'r1',
    bytesReceived: 0,
    bytesSent: 42,
    protocol: 'HTTP/2',
    clientIp: '10.0.0.1',
    traceId: undefined,
    ...over,
  }
}

describe('format strings', () => {
  it("renders Envoy's default format", () => {
    expect(renderText(compileFormat(DEFAULT_FORMAT), record())).toBe(
      '[2016-04-15T20:17:00.310Z] "GET /a/b?c=d HTTP/2" 200 - 0 42 12 9 "10.0.0.1" "curl/8" "id-1" "edge.example.com" "10.1.2.3:80"\n',
    )
  })

  it('supports alternates, truncation, several flags and unknown values as -', () => {
    const f = compileFormat('%REQ(X-ENVOY-ORIGINAL-PATH?:PATH):4% %RESPONSE_FLAGS% %REQ(X-MISSING)% %ROUTE_NAME%')
    expect(renderText(f, record({ responseFlags: ['URX', 'UF'] }))).toBe('/a/b URX,UF - r1')
  })

  it('formats START_TIME with strftime specifiers', () => {
    expect(formatStartTime(T, '%Y/%m/%dT%H:%M:%S%z %s')).toBe('2016/04/15T20:17:00+0000 1460751420')
    expect(formatStartTime(T, '%s.%3f')).toBe('1460751420.310')
    expect(formatStartTime(T, '%H:%M:%E3S')).toBe('20:17:00.310')
  })

  it('writes the stderr logger with console.error and drops the trailing newline', () => {
    const out: string[] = []
    const [log] = buildAccessLoggers([lowerAccessLog(accessLog.parse({ name: 'envoy.access_loggers.stderr', typed_config: { log_format: { text_format: '%RESPONSE_CODE%\n' } } }))], {
      stdout: (l) => out.push(`out:${l}`),
      stderr: (l) => out.push(`err:${l}`),
    })
    log!(record())
    expect(out).toEqual(['err:200'])
  })
})

describe('access_log schema', () => {
  const parse = (v: unknown) => {
    warningMode.collecting = false
    try {
      return accessLog.safeParse(v)
    } finally {
      warningMode.collecting = true
    }
  }

  it('accepts the v2 file logger with format', () => {
    expect(parse({ name: 'envoy.file_access_log', config: { path: '/dev/stdout', format: '%RESPONSE_CODE%\n' } }).success).toBe(true)
  })

  it('rejects unknown command operators and two formats; warns about (and skips) loggers other than the console', () => {
    const issues = (v: unknown) => parse(v).error?.issues.map((i) => i.message) ?? []
    expect(issues({ name: 'envoy.access_loggers.file', typed_config: { path: '/dev/stdout', log_format: { text_format: '%NOPE%' } } })).toEqual([
      'access log command operator %NOPE% is not supported',
    ])
    // Other loggers parse (the warning is collected in validate: config-warnings.test.ts).
    expect(parse({ name: 'envoy.access_loggers.http_grpc', typed_config: { log_name: 'x' } }).success).toBe(true)
    expect(issues({ name: 'envoy.file_access_log', config: { format: 'a', json_format: { a: 'b' } } })).toEqual(['only one access log format may be specified'])
  })
})

describe('trace context', () => {
  const seq = () => {
    let i = 0
    return () => ((i++ * 37) % 256) / 256
  }

  it('reads traceparent before B3, and rejects invalid ids', () => {
    const h = new Headers({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', 'x-b3-traceid': '463ac35c9f6413ad' })
    expect(extractTrace(h)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: false, debug: false })
    expect(extractTrace(new Headers({ traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }))).toBeUndefined()
    expect(extractTrace(new Headers({ b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d' }))).toEqual({
      traceId: '80f198ee56343ba864fe8b2a57d3eff7',
      spanId: 'e457b5a2e4d86bd1',
      sampled: true,
      debug: true,
    })
  })

  it('starts a trace when none came in, and injects both header styles', () => {
    const t = startSpan(undefined, true, seq())
    expect(t.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(t.parentId).toBeUndefined()
    const h = new Headers({ b3: 'x', 'x-b3-parentspanid': 'stale' })
    injectTrace(h, t)
    expect(h.get('traceparent')).toBe(`00-${t.traceId}-${t.spanId}-01`)
    expect(h.has('x-b3-parentspanid')).toBe(false)
    expect(h.has('b3')).toBe(false)
  })

  it('samples: forced, then the caller, then random_sampling', () => {
    const cfg = tracingConfig({ random_sampling: { value: 25 } }, undefined)!
    expect(cfg.zipkin).toBeUndefined()
    expect(shouldSample(cfg, true, false, () => 0.99)).toBe(true)
    expect(shouldSample(cfg, false, false, () => 0)).toBe(false)
    expect(shouldSample(cfg, false, undefined, () => 0.2)).toBe(true)
    expect(shouldSample(cfg, false, undefined, () => 0.3)).toBe(false)
    expect(tracingConfig(undefined, { http: { name: 'envoy.tracers.zipkin' } })).toBeUndefined()
  })
})

describe('Prometheus naming', () => {
  it("follows Envoy's tag extraction", () => {
    expect(toSeries('cluster.service.a.upstream_rq_2xx')).toEqual({
      name: 'envoy_cluster_upstream_rq_xx',
      labels: { envoy_cluster_name: 'service.a', envoy_response_code_class: '2' },
    })
    expect(toSeries('cluster.x.outlier_detection.ejections_active')).toEqual({
      name: 'envoy_cluster_outlier_detection_ejections_active',
      labels: { envoy_cluster_name: 'x' },
    })
    expect(toSeries('http.ingress_http.downstream_rq_503').labels).toEqual({ envoy_http_conn_manager_prefix: 'ingress_http', envoy_response_code: '503' })
  })

  it('escapes label values and keeps gauges and histograms valid', () => {
    const store = new StatsStore({ isolateId: 'i"1' })
    store.counter('cluster.a"b\\c.upstream_rq_total', 2)
    store.gaugeAdd('cluster.x.outlier_detection.ejections_active', 1)
    store.histogram('cluster.x.upstream_rq_time', 3)
    store.histogram('cluster.x.upstream_rq_time', 4000)
    const families = parsePrometheus(renderPrometheus(store))
    expect(valueOf(families, 'envoy_cluster_upstream_rq_total', { envoy_cluster_name: 'a"b\\c', edgevoy_isolate: 'i"1' })).toBe(2)
    expect(families.get('envoy_cluster_outlier_detection_ejections_active')?.type).toBe('gauge')
    expect(valueOf(families, 'envoy_cluster_upstream_rq_time_bucket', { le: '5' })).toBe(1)
    expect(valueOf(families, 'envoy_cluster_upstream_rq_time_sum', {})).toBe(4003)
  })

  it('the parser rejects what Prometheus would', () => {
    expect(() => parsePrometheus('a 1\nb 2\na 3\n')).toThrow(/not contiguous/)
    expect(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow(/cumulative/)
    expect(() => parsePrometheus('a{b="1} 1\n')).toThrow()
    expect(() => parsePrometheus('a 1')).toThrow(/newline/)
  })
})
