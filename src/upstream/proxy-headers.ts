/**
 * The headers the router sends upstream.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers
 *
 * By the time the router runs, the connection manager stage
 * (src/router/downstream.ts) has already set x-forwarded-for,
 * x-forwarded-proto, x-request-id and x-envoy-external-address, removed the
 * client's hop-by-hop headers and sanitized x-envoy-* for external requests;
 * filters may have changed headers since. This adds only what the router adds.
 */
import { isWebSocketUpgrade, stripHopByHop } from './headers'

export interface UpstreamHeaderOptions {
  /** The downstream `Host`/:authority. */
  readonly originalAuthority: string
  /** The authority Envoy would send upstream: the original, or the one after host rewrite. */
  readonly authority: string
  /** The path before the router rewrote it; set only when it was rewritten. */
  readonly originalPath?: string
  /** Route timeout in ms, sent as `x-envoy-expected-rq-timeout-ms` when > 0. */
  readonly timeoutMs?: number
  /** The request holds no hop-by-hop header (no filter ran since the connection manager stage removed them): skip the second pass. */
  readonly hopByHopRemoved?: boolean | undefined
}

/** A fresh copy of the request's headers, ready for the router's header mutations. */
export function prepareUpstreamHeaders(request: Request, opts: UpstreamHeaderOptions): Headers {
  // The standard hop-by-hop list only: names the client put in Connection were
  // removed before the filters ran, and one named now may be a header a filter set.
  const copy = new Headers(request.headers)
  const headers = opts.hopByHopRemoved ? copy : stripHopByHop(copy, { keepUpgrade: isWebSocketUpgrade(request.headers), removeNominated: () => false })

  // Workers' fetch() sends the URL's host as Host whatever the headers say, so
  // the authority Envoy would have sent travels in x-forwarded-host.
  headers.set('host', opts.authority)
  headers.set('x-forwarded-host', opts.authority)

  if (opts.originalPath !== undefined) headers.set('x-envoy-original-path', opts.originalPath)
  if (opts.timeoutMs && opts.timeoutMs > 0) headers.set('x-envoy-expected-rq-timeout-ms', String(opts.timeoutMs))
  return headers
}

/**
 * A host rewrite: the new authority replaces the old, which a route's rewrite
 * (`host_rewrite_literal`, `host_rewrite_header`, `host_rewrite_path_regex`)
 * keeps in `x-envoy-original-host` (Envoy's RouteEntryImplBase::finalizeHostHeader
 * → Http::Utility::updateAuthority with keep_old_host; a weighted cluster's
 * literal only sets the host). On Workers the authority travels in
 * x-forwarded-host as well, since fetch() sends the URL's host as Host.
 */
export function rewriteAuthority(headers: Headers, authority: string, keepOriginal: boolean): void {
  const original = headers.get('host')
  if (keepOriginal && original !== null) headers.set('x-envoy-original-host', original)
  headers.set('host', authority)
  headers.set('x-forwarded-host', authority)
}
