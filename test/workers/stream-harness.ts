/**
 * A whole listener app (routing, filters, forwarding, access log, stats) over
 * real upstreams on 127.0.0.1, for the stream-timer, 1xx and downstream-failure
 * tests: its access log lines, its stats and its ClusterManager are its own.
 */
import { compileConfig } from '../../src/compile'
import { loadConfig } from '../../src/config/load'
import { StatsStore } from '../../src/observability/stats'
import { buildListenerApp } from '../../src/router/app'
import { ClusterManager } from '../../src/upstream/cluster-manager'
import { anyHost, bootstrap } from '../support/config'
import { upstreamStatus } from '../../src/upstream/cluster-status'

/** %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_SENT% %RESPONSE_CODE_DETAILS% %UPSTREAM_HOST% */
export const LOG_FORMAT = '%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_SENT% %RESPONSE_CODE_DETAILS% %UPSTREAM_HOST%'

export interface StreamAppOptions {
  /** Upstream ports of the one cluster `up`. */
  ports: number[]
  /** Fields of the route's `route` action besides `cluster`. */
  route?: Record<string, unknown>
  /** Fields of the connection manager besides route_config / http_filters / access_log. */
  hcm?: Record<string, unknown>
  /** Fields of the cluster besides its endpoints (outlier_detection, …). */
  cluster?: Record<string, unknown>
  /** false: no access log, so nothing observes how a body ends (bodies pass through, src/upstream/send.ts). */
  accessLog?: false
}

export function streamApp(o: StreamAppOptions) {
  const doc = bootstrap({
    virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'up', ...o.route } }]),
    clusters: { up: { endpoints: o.ports, ...o.cluster } },
    hcm: {
      access_log: o.accessLog === false ? [] : [{ name: 'envoy.access_loggers.stdout', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog', log_format: { text_format: LOG_FORMAT } } }],
      ...o.hcm,
    },
  })
  const loaded = loadConfig(JSON.stringify(doc))
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors, null, 2))
  const snapshot = compileConfig(loaded.config)
  const lines: string[] = []
  const stats = new StatsStore({ isolateId: 'test' })
  const clusters = new ClusterManager({ random: Math.random, now: Date.now })
  const app = buildListenerApp(snapshot, snapshot.listeners[0]!, {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    bindings: {},
    clusters,
    random: Math.random,
    now: Date.now,
    stats,
    logSinks: { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(`stderr:${l}`) },
  } as Parameters<typeof buildListenerApp>[2])
  const cluster = snapshot.clusters.get('up')!
  return {
    snapshot,
    lines,
    stats,
    /** Ejected hosts and counters, as /__admin/clusters shows them. */
    status: () => upstreamStatus(clusters, cluster),
    request: (path: string, init?: RequestInit) => app.request(`http://edge.example.com${path}`, init),
  }
}

/** Reads a body to its end: the bytes, when it ended (ms from `since`), and the error if it was reset. */
export async function drain(res: Response, since: number): Promise<{ bytes: number; ms: number; error: unknown }> {
  const reader = res.body!.getReader()
  let bytes = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { bytes, ms: Date.now() - since, error: undefined }
      bytes += value.byteLength
    }
  } catch (error) {
    return { bytes, ms: Date.now() - since, error }
  }
}

/** Waits until `lines` has `n` entries (the log is written when the stream ends). */
export async function logLines(lines: string[], n = 1, timeoutMs = 3000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  while (lines.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  return lines
}
