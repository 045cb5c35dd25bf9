/**
 * This hop's span, with the tags Envoy's HTTP tracer sets.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/observability/tracing#what-data-each-trace-contains
 */
import type { LogRecord } from '../access-log/record.js'
import type { TraceContext } from './context.js'
import { remoteEndpoint, type ZipkinSpan } from './zipkin.js'

export function hopSpan(t: TraceContext, r: LogRecord, o: { serviceName: string; name: string; tags: Readonly<Record<string, string>> }): ZipkinSpan {
  const tags: Record<string, string> = {
    ...o.tags,
    component: 'proxy',
    'guid:x-request-id': r.requestId ?? '-',
    'http.url': r.request.url,
    'http.method': r.request.method,
    'http.protocol': r.protocol,
    'http.status_code': String(r.responseCode),
    'user_agent': r.request.headers.get('user-agent') ?? '-',
    'request_size': String(r.bytesReceived),
    'response_size': r.bytesSent === undefined ? '-' : String(r.bytesSent),
    'response_flags': r.responseFlags.join(',') || '-',
    'downstream_cluster': r.request.headers.get('x-envoy-downstream-service-cluster') ?? '-',
  }
  if (r.upstreamCluster) tags['upstream_cluster'] = tags['upstream_cluster.name'] = r.upstreamCluster
  if (r.upstreamHost) tags['peer.address'] = r.upstreamHost
  if (r.responseCode >= 500 || r.responseFlags.length > 0) tags['error'] = 'true'
  const remote = remoteEndpoint(r.upstreamHost)
  return {
    traceId: t.traceId,
    id: t.spanId,
    ...(t.parentId ? { parentId: t.parentId } : {}),
    name: o.name,
    kind: 'SERVER',
    timestamp: r.startTime * 1000,
    duration: Math.max(1, r.durationMs * 1000),
    localEndpoint: { serviceName: o.serviceName },
    ...(remote ? { remoteEndpoint: remote } : {}),
    tags,
    ...(t.debug ? { debug: true } : {}),
  }
}
