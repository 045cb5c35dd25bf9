/**
 * The one error type of the request path. A `ProxyError` knows the answer
 * Envoy would give for it (status, body text, response flag), so one `onError`
 * turns any of them into a Response.
 */

/** Envoy's local-reply cases, by the response flag Envoy logs for each. */
export const PROXY_ERRORS = {
  no_route: { status: 404, flag: 'NR', body: '' },
  /** normalize_path refused the path, or path_with_escaped_slashes_action rejected or redirected it. */
  path_normalization_failed: { status: 400, flag: '', body: '' },
  no_healthy_upstream: { status: 503, flag: 'UH', body: 'no healthy upstream' },
  upstream_connect_failure: {
    status: 503,
    flag: 'UF',
    body: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
  },
  upstream_reset: {
    status: 503,
    flag: 'UR',
    body: 'upstream connect error or disconnect/reset before headers. reset reason: remote reset',
  },
  upstream_timeout: { status: 504, flag: 'UT', body: 'upstream request timeout' },
  /** HCM stream_idle_timeout: 504 once the request is in, 408 before (Envoy `maybeRequestTimeoutCode`). */
  stream_idle_timeout: { status: 504, flag: 'SI', body: 'stream timeout' },
  /** HCM request_timeout; Envoy sets no response flag for it (details `request_overall_timeout`). */
  request_timeout: { status: 408, flag: '', body: 'request timeout' },
  /** max_stream_duration (HCM or route); no response flag either (details `max_duration_timeout`). */
  max_duration_timeout: { status: 408, flag: '', body: 'downstream duration timeout' },
  /** An upstream response edgevoy could not parse (e.g. a malformed response after a 1xx). */
  upstream_protocol_error: { status: 502, flag: 'UPE', body: 'upstream connect error or disconnect/reset before headers. reset reason: protocol error' },
  /** A request whose framing is invalid (Content-Length with Transfer-Encoding); Envoy's HTTP/1 codec answers 400. */
  downstream_protocol_error: { status: 400, flag: 'DPE', body: 'Bad Request' },
  upstream_overflow: { status: 503, flag: 'UO', body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow' },
  unknown_cluster: { status: 503, flag: 'NC', body: '' },
  rate_limited: { status: 429, flag: 'RL', body: '' },
  unauthorized: { status: 401, flag: 'UAEX', body: '' },
  forbidden: { status: 403, flag: 'UAEX', body: '' },
  /** An upgrade (WebSocket…) no upgrade_configs allows on its route; Envoy's details `upgrade_failed`, no response flag. */
  upgrade_failed: { status: 403, flag: '', body: '' },
  payload_too_large: { status: 413, flag: '', body: 'Payload Too Large' },
  downstream_disconnect: { status: 499, flag: 'DC', body: '' },
  internal: { status: 500, flag: '', body: 'internal error' },
  /** A serialized snapshot this data plane cannot load (another compiler version, or not a snapshot). */
  snapshot_incompatible: { status: 503, flag: '', body: '' },
} as const satisfies Record<string, { status: number; flag: string; body: string }>

export type ProxyErrorCode = keyof typeof PROXY_ERRORS

export class ProxyError extends Error {
  readonly code: ProxyErrorCode
  readonly status: number
  /** Envoy's `%RESPONSE_FLAGS%` letter(s) for this failure. */
  readonly flag: string
  readonly headers: Readonly<Record<string, string>>

  constructor(code: ProxyErrorCode, options: { message?: string; cause?: unknown; headers?: Record<string, string>; status?: number } = {}) {
    const spec = PROXY_ERRORS[code]
    super(options.message ?? (spec.body || code), { cause: options.cause })
    this.name = 'ProxyError'
    this.code = code
    this.status = options.status ?? spec.status
    this.flag = spec.flag
    this.headers = options.headers ?? {}
  }

  /** The local reply Envoy sends: plain text body, `content-type: text/plain`. */
  toResponse(): Response {
    const headers = new Headers(this.headers)
    const body = PROXY_ERRORS[this.code].body || (this.message === this.code ? '' : this.message)
    if (body) headers.set('content-type', 'text/plain')
    return new Response(body || null, { status: this.status, headers })
  }
}

export const isProxyError = (e: unknown): e is ProxyError => e instanceof ProxyError
