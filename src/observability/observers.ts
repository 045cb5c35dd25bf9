/**
 * What the observability stage (observe.ts listenerObserver) runs only for
 * a listener with access logs or tracing: the access-log formatters and
 * writers, trace context and the Zipkin exporter.
 * Reached through `import()` (observe.ts `loadObservers`, awaited where a
 * snapshot is made ready: state/serving.ts), so a deployed Worker carries it
 * in a chunk of its own and an isolate whose listener has neither never
 * evaluates it (test/node/bundle-graph.test.ts).
 */
import type { Context } from 'hono'
import type { Listener, Snapshot } from '../compile/types.js'
import type { ProxyEnv } from '../context.js'
import { buildAccessLoggers } from './access-log/loggers.js'
import type { LogRecord } from './access-log/record.js'
import type { ObserveDeps } from './observe.js'
import { shouldSample } from './tracing/config.js'
import { extractTrace, injectTrace, startSpan, type TraceContext } from './tracing/context.js'
import { hopSpan } from './tracing/span.js'
import { collectorUrl, ZipkinExporter } from './tracing/zipkin.js'

export interface ListenerObservers {
  /**
   * With tracing: starts the span and puts its trace context (and the
   * generated id) into the request's one header map, which the filters, the
   * upstream and the access log read alike — Envoy's router injects the
   * context into the downstream headers the access log reads too
   * (UpstreamRequest::onPoolReady: `injectContext(*parent_.downstreamHeaders())`).
   * Undefined without tracing.
   */
  readonly startTrace: ((request: Request, generated: string | undefined) => TraceContext) | undefined
  /** Writes the access log lines. */
  readonly log: (record: LogRecord) => void
  /** Exports the span of a sampled trace (after the response, through waitUntil). */
  readonly span: (c: Context<ProxyEnv>, trace: TraceContext | undefined, record: LogRecord, waitUntil: (c: Context<ProxyEnv>, p: Promise<void>) => void) => void
}

let isolateExporter: ZipkinExporter | undefined

export function buildObservers(snapshot: Snapshot, listener: Listener, deps: ObserveDeps): ListenerObservers {
  const loggers = buildAccessLoggers(listener.accessLogs, deps.logSinks)
  const tracing = listener.tracing
  const serviceName = snapshot.serviceCluster ?? listener.name
  return {
    startTrace: tracing
      ? (request, generated) => {
          const headers = request.headers
          const incoming = extractTrace(headers)
          const trace = startSpan(incoming, shouldSample(tracing, headers.has('x-envoy-force-trace'), incoming?.sampled, deps.random), deps.random)
          if (generated) headers.set('x-request-id', generated)
          injectTrace(headers, trace)
          return trace
        }
      : undefined,
    log: (record) => {
      for (const log of loggers) log(record)
    },
    span: (c, trace, record, waitUntil) => {
      const zipkin = tracing?.zipkin
      if (!tracing || !trace?.sampled || !zipkin) return
      const url = collectorUrl(snapshot, zipkin)
      if (!url) return
      const exporter = deps.zipkin ?? (isolateExporter ??= new ZipkinExporter(deps.fetch))
      exporter.add(hopSpan(trace, record, { serviceName, name: tracing.operationName, tags: tracing.tags }))
      waitUntil(c, exporter.flush(url, zipkin.collectorHostname))
    },
  }
}
