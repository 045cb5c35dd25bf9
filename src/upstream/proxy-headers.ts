/**
 * The headers Envoy sends upstream for a request that arrived at the edge.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers
 *
 * edgevoy is always the edge: every downstream request is external, as for an
 * Envoy with `use_remote_address: true`.
 */
import { isWebSocketUpgrade, stripHopByHop } from './headers'

export interface UpstreamHeaderOptions {
  /** Use this request id (overrides the client's). */
  readonly requestId?: string
  /**
   * Replace a client-supplied `x-request-id` with a fresh one (Envoy at the edge
   * with `preserve_external_request_id: false`). Default false: keep it, as an
   * Envoy with the default `use_remote_address: false` does.
   */
  readonly resetRequestId?: boolean
  /** The downstream `Host`/:authority. */
  readonly originalAuthority: string
  /** The authority Envoy would send upstream: the original, or the one after host rewrite. */
  readonly authority: string
  readonly scheme: 'http' | 'https'
  /** Client address; defaults to `CF-Connecting-IP`, which Cloudflare and workerd set. */
  readonly clientIp?: string
  /** The path before the router rewrote it; set only when it was rewritten. */
  readonly originalPath?: string
  /** Route timeout in ms, sent as `x-envoy-expected-rq-timeout-ms` when > 0. */
  readonly timeoutMs?: number
}

/** A fresh copy of the request's headers, ready for the router's header mutations. */
export function prepareUpstreamHeaders(request: Request, opts: UpstreamHeaderOptions): Headers {
  const headers = stripHopByHop(new Headers(request.headers), { keepUpgrade: isWebSocketUpgrade(request.headers) })

  // Client-supplied x-envoy-* headers could steer retries, timeouts or stats:
  // Envoy strips them from external requests.
  const envoyHeaders: string[] = []
  headers.forEach((_, name) => {
    if (name.startsWith('x-envoy-')) envoyHeaders.push(name)
  })
  for (const name of envoyHeaders) headers.delete(name)

  const clientIp = opts.clientIp ?? request.headers.get('cf-connecting-ip') ?? undefined
  if (clientIp) {
    const xff = headers.get('x-forwarded-for')
    headers.set('x-forwarded-for', xff ? `${xff}, ${clientIp}` : clientIp)
    headers.set('x-envoy-external-address', clientIp)
  }
  headers.set('x-forwarded-proto', opts.scheme)

  const incomingId = opts.resetRequestId ? null : headers.get('x-request-id')
  headers.set('x-request-id', opts.requestId ?? (incomingId || crypto.randomUUID()))

  // Workers' fetch() sends the URL's host as Host whatever the headers say, so
  // the authority Envoy would have sent travels in x-forwarded-host.
  headers.set('host', opts.authority)
  headers.set('x-forwarded-host', opts.authority)

  if (opts.originalPath !== undefined) headers.set('x-envoy-original-path', opts.originalPath)
  if (opts.timeoutMs && opts.timeoutMs > 0) headers.set('x-envoy-expected-rq-timeout-ms', String(opts.timeoutMs))
  return headers
}
