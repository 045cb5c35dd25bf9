/**
 * Hop-by-hop header handling shared by the request and response paths.
 *
 * RFC 9110 §7.6.1: a proxy removes every field named in `Connection`, and
 * `Connection`, `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding` and
 * `Upgrade` themselves. Envoy does the same in `ConnectionManagerUtility`
 * (and keeps `TE: trailers`, envoyproxy/envoy#32255). We also drop `Trailer`:
 * Workers' fetch() cannot carry trailers, so announcing them would be a lie.
 * `Proxy-Authorization` is kept, as Envoy keeps it (the hop-by-hop list in
 * RFC 2616 §13.5.1 named it; RFC 9110 does not).
 */

const HOP_BY_HOP = ['connection', 'proxy-connection', 'keep-alive', 'te', 'transfer-encoding', 'trailer', 'upgrade'] as const

/** `Upgrade: websocket` (case-insensitive, possibly in a list). */
export function isWebSocketUpgrade(headers: Headers): boolean {
  return tokens(headers.get('upgrade')).includes('websocket')
}

/** Lower-cased comma-separated tokens of a header value. */
function tokens(value: string | null): string[] {
  if (!value) return []
  return value
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.length > 0)
}

export interface HopByHopOptions {
  /** A WebSocket upgrade survives as `Upgrade` + `Connection: upgrade`. */
  readonly keepUpgrade?: boolean
  /**
   * Which of the names listed in `Connection` may be removed (default: all).
   * The request path removes them once, before any filter runs, and only from
   * the client's own headers (src/router/downstream.ts); later stages pass
   * `() => false`, so `Connection: x-set-by-a-filter` removes nothing.
   */
  readonly removeNominated?: (name: string) => boolean
}

/** Removes hop-by-hop fields from `headers` in place. */
export function stripHopByHop(headers: Headers, options: HopByHopOptions = {}): Headers {
  const upgrade = headers.get('upgrade')
  const te = tokens(headers.get('te'))
  const removable = options.removeNominated ?? (() => true)
  for (const name of tokens(headers.get('connection'))) if (removable(name)) headers.delete(name)
  for (const name of HOP_BY_HOP) headers.delete(name)
  if (te.some((t) => t === 'trailers' || t.startsWith('trailers;'))) headers.set('te', 'trailers')
  if (options.keepUpgrade && upgrade) {
    headers.set('upgrade', upgrade)
    headers.set('connection', 'upgrade')
  }
  return headers
}

/**
 * A request header by name as Envoy's header map holds it, pseudo-headers
 * included — `cluster_header: ":authority"` reads the authority as any other
 * header (Envoy's HeaderClusterSpecifierPlugin). fetch's Headers refuses a
 * name starting with ":", so those come from the request itself: `:authority`
 * is Host, `:path` keeps its query, `:scheme` is x-forwarded-proto as the
 * connection manager left it (src/router/decide.ts reads them the same way).
 */
export function requestHeaderValue(request: Request, name: string): string | null {
  if (name.charCodeAt(0) !== 58 /* : */) return request.headers.get(name)
  switch (name) {
    case ':method':
      return request.method
    case ':authority':
      return request.headers.get('host') ?? new URL(request.url).host
    case ':path': {
      const url = new URL(request.url)
      return url.pathname + url.search
    }
    case ':scheme':
      return (request.headers.get('x-forwarded-proto') ?? new URL(request.url).protocol.slice(0, -1)).toLowerCase()
    default:
      return null
  }
}
