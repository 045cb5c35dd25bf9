/**
 * The downstream request body on its way upstream, watched so that a failure
 * of the *client* — an upload aborted mid-way, or a body that disagrees with
 * its own Content-Length — is told apart from a failure of the upstream host.
 * fetch() rejects the same way for both; Envoy records the first as a
 * downstream disconnect (`DC`) and never charges it to the host (no outlier
 * report, no connect-failure stat, no retry on another host).
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#config-access-log-format-response-flags
 */

export interface UploadState {
  /** The client's body failed: read error, or fewer/more bytes than it declared. */
  readonly failed: boolean
  /** Every byte the client declared (or, without a length, up to a clean end) was read. */
  readonly complete: boolean
}

/** A Content-Length worth trusting, or undefined. */
export function declaredLength(headers: Headers): number | undefined {
  const v = headers.get('content-length')
  return v !== null && /^\d{1,15}$/.test(v) ? Number(v) : undefined
}

/**
 * `body` passed through unchanged, with `state` recording whether the client
 * delivered it whole. A short or long body errors the stream (so the upstream
 * never sees a clean end for a broken upload).
 */
export function watchUpload(body: ReadableStream<Uint8Array>, declared: number | undefined): { stream: ReadableStream<Uint8Array>; state: UploadState } {
  const state = { failed: false, complete: false }
  const reader = body.getReader()
  let seen = 0
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch (e) {
          state.failed = true
          return controller.error(e)
        }
        if (chunk.done) {
          if (declared !== undefined && seen !== declared) {
            state.failed = true
            return controller.error(new Error(`the client sent ${seen} of ${declared} declared body bytes`))
          }
          state.complete = true
          return controller.close()
        }
        seen += chunk.value.byteLength
        if (declared !== undefined && seen > declared) {
          state.failed = true
          reader.cancel().catch(() => undefined)
          return controller.error(new Error(`the client sent more than its declared ${declared} body bytes`))
        }
        controller.enqueue(chunk.value)
      },
      cancel(reason) {
        return reader.cancel(reason).catch(() => undefined)
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, state }
}
