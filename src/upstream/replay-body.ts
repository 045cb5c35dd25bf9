/**
 * A request body that a retry may send again. Bodies up to the buffer limit
 * (Envoy's `per_request_buffer_limit_bytes`, 1 MiB by default here) are read
 * into memory first; larger or unknown-but-growing ones keep streaming and
 * make the request non-retriable — a retry must never send a truncated or
 * empty body.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-route-per-request-buffer-limit-bytes
 */

import { ProxyError } from '../errors.js'

export { DEFAULT_BUFFER_LIMIT_BYTES } from '../compile/ir.js'

export type ReplayBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'buffered'; readonly bytes: Uint8Array<ArrayBuffer> }
  /** Too large to keep: send once, as this stream (any bytes already read come first). */
  | { readonly kind: 'stream'; readonly stream: ReadableStream<Uint8Array> }

export async function prepareReplayBody(request: Request, limit: number): Promise<ReplayBody> {
  if (request.body === null || request.method === 'GET' || request.method === 'HEAD') return { kind: 'none' }
  const declared = request.headers.get('content-length')
  if (declared !== null && /^\d{1,15}$/.test(declared) && Number(declared) > limit) return { kind: 'stream', stream: request.body }

  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>
    try {
      chunk = await reader.read()
    } catch (cause) {
      // The client's upload broke while being buffered: its failure, not a host's (Envoy: DC).
      throw new ProxyError('downstream_disconnect', { cause })
    }
    const { done, value } = chunk
    if (done) {
      if (declared !== null && /^\d{1,15}$/.test(declared) && size !== Number(declared)) throw new ProxyError('downstream_disconnect', { message: `the client sent ${size} of ${declared} declared body bytes` })
      break
    }
    chunks.push(value)
    size += value.byteLength
    if (size > limit) {
      // Over the limit mid-way (chunked upload): hand on what was read, then the rest.
      return { kind: 'stream', stream: resume(chunks, reader) }
    }
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) {
    bytes.set(c, offset)
    offset += c.byteLength
  }
  return { kind: 'buffered', bytes }
}

function resume(head: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < head.length) return controller.enqueue(head[i++]!)
      const { done, value } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel(reason) {
      return reader.cancel(reason)
    },
  })
}

/** The downstream request with `body` in place of its (already consumed) stream. */
export function withBody(request: Request, body: ReplayBody): Request {
  if (body.kind === 'none') return request
  const init: RequestInit = { method: request.method, headers: request.headers, body: (body.kind === 'buffered' ? body.bytes : body.stream) as BodyInit }
  return new Request(request.url, init)
}
