/** Wire types of the test upstreams, free of Node imports so workerd tests can use them too. */

/** What every echoing path of a test upstream answers. */
export interface EchoBody {
  id: string
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  bodyBytes: number
  /** Hex SHA-256 of the request body, hashed as it streamed. */
  bodySha256: string
  /** POST /oauth2/token only: the form it received. */
  form?: Record<string, string>
}

export interface UpstreamBehavior {
  /** /health answers 503 when false. */
  healthy?: boolean
  /** Wait this long before answering any request. */
  delayMs?: number
  /** Answer every request with this status (echo body). */
  status?: number
  /** Destroy the connection without answering. */
  reset?: boolean
}

/** An upstream as the control API reports it. */
export interface UpstreamState {
  id: string
  port: number
  /** Requests received since start (shared by every test file using it: compare deltas). */
  requests: number
  listening: boolean
  behavior: UpstreamBehavior
  /** The last echoed request, if any. */
  last?: EchoBody | undefined
}
