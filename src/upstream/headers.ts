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
