/**
 * One listener app for the connection-manager tests (test/workers/edge-*):
 * an echo upstream behind `/`, optional filters, connection manager fields,
 * and the access log lines it writes (format `LOG_FORMAT`).
 */
import { buildListenerApp } from '../../src/router/app'
import { ClusterManager } from '../../src/upstream/cluster-manager'
import { ROUTER, bootstrap, compileJson } from './config'
import type { EchoBody } from './upstream-types'

/** path as logged, x-envoy-original-path?:path, the request id, the remote address, x-forwarded-proto. */
export const LOG_FORMAT = '%REQ(:PATH)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %REQ(X-REQUEST-ID)% %DOWNSTREAM_REMOTE_ADDRESS% %REQ(X-FORWARDED-PROTO)% %RESPONSE_CODE%\n'

export interface EdgeListenerOptions {
  readonly upstream: number
  /** Connection manager fields (use_remote_address, normalize_path, …). */
  readonly hcm?: Record<string, unknown>
  /** Fields of the one virtual host (`*`), e.g. require_tls. */
  readonly vhost?: Record<string, unknown>
  readonly routes?: unknown[]
  readonly routeConfig?: Record<string, unknown>
  /** http_filters before the router. */
  readonly filters?: unknown[]
  readonly isInternal?: (request: Request) => boolean
}

export function edgeListener(o: EdgeListenerOptions) {
  const lines: string[] = []
  const snapshot = compileJson(
    bootstrap({
      virtual_hosts: [{ name: 'edge', domains: ['*'], routes: o.routes ?? [{ match: { prefix: '/' }, route: { cluster: 'echo' } }], ...o.vhost }],
      clusters: { echo: [o.upstream] },
      http_filters: [...(o.filters ?? []), ROUTER],
      ...(o.routeConfig ? { route_config: o.routeConfig } : {}),
      hcm: {
        access_log: [
          {
            name: 'envoy.access_loggers.file',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: '/dev/stdout', log_format: { text_format: LOG_FORMAT } },
          },
        ],
        ...o.hcm,
      },
    }),
  )
  // logSinks is the observability stage's dep, passed through the router's.
  const deps = {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    bindings: {},
    clusters: new ClusterManager({ random: Math.random, now: Date.now }),
    random: Math.random,
    now: Date.now,
    logSinks: { stdout: (l: string) => lines.push(l.trimEnd()), stderr: (l: string) => lines.push(`stderr:${l}`) },
    trustEnvoyHeaders: o.isInternal,
  }
  const app = buildListenerApp(snapshot, snapshot.listeners[0]!, deps)
  /** `send('/path', init)` to http://edge.example.com; `url` overrides the whole URL (scheme, host). */
  const send = (path: string, init: RequestInit & { url?: string } = {}) => app.fetch(new Request(init.url ?? `http://edge.example.com${path}`, init))
  const echo = async (res: Response) => {
    if (res.status !== 200) throw new Error(`expected the upstream's 200, got ${res.status}: ${await res.text()}`)
    return (await res.json()) as EchoBody
  }
  return { send, echo, lines }
}

/** rbac DENY of every path under `/admin` (url_path, as Envoy's docs recommend with normalize_path). */
export const DENY_ADMIN = {
  name: 'envoy.filters.http.rbac',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
    rules: { action: 'DENY', policies: { 'no-admin': { permissions: [{ url_path: { path: { prefix: '/admin' } } }], principals: [{ any: true }] } } },
  },
}
