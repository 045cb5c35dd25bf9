/** What one finished request looks like to access loggers, stats and tracing. */
export interface LogRecord {
  /** Epoch ms when the request reached the listener. */
  readonly startTime: number
  readonly durationMs: number
  readonly request: Request
  /** The request id sent upstream (generated when the client sent none). */
  readonly requestId: string | undefined
  readonly responseCode: number
  readonly responseHeaders: Headers | undefined
  /** Envoy's response flags (`UT`, `UF`, `NR`, …), empty when none. */
  readonly responseFlags: readonly string[]
  readonly responseCodeDetails: string | undefined
  readonly upstreamHost: string | undefined
  readonly upstreamCluster: string | undefined
  readonly upstreamFailure: string | undefined
  readonly routeName: string | undefined
  readonly bytesReceived: number
  /**
   * Body bytes of the response: its Content-Length, or the size of a local
   * reply; undefined for a streamed (chunked) upstream body, because the line
   * is written when the response headers are ready, not at its last byte.
   * A local reply without Content-Length is measured (its body read from a
   * clone) only for a listener with an access log or tracing, or with
   * Analytics Engine bound: the stats alone leave it undefined.
   */
  readonly bytesSent: number | undefined
  /** `HTTP/1.1`, `HTTP/2`, `HTTP/3` as Cloudflare saw the downstream connection. */
  readonly protocol: string
  readonly clientIp: string | undefined
  readonly traceId: string | undefined
}
