/**
 * The upstream response body under Envoy's stream timers. The route timeout
 * "is the amount of time that Envoy will wait for the upstream to respond with
 * a complete response", the HCM `stream_idle_timeout` (or the route's
 * `idle_timeout`) bounds any stall, and `max_stream_duration` bounds the whole
 * stream — all three keep running while the body streams. When one fires the
 * stream is reset: the body errors, so the client never takes a truncated body
 * for a complete one.
 * https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts
 *
 * Why a JS stream: when a Worker returns a body that came straight from
 * fetch(), workerd pumps it natively after the handler returns, and timers set
 * by the request no longer run — a 2 s route timeout let a slow-drip body go
 * on for as long as the upstream liked. Pulling through JS keeps the request's
 * timers alive until the last byte.
 */
import { ProxyError } from '../errors.js'

/** A limit on the whole response: when `at` (epoch ms) passes, the stream is reset with `error()`. */
export interface BodyDeadline {
  readonly at: number
  readonly error: () => ProxyError
}

export interface BodyLimits {
  readonly deadlines: readonly BodyDeadline[]
  /** Longest wait for the next chunk; 0: none. */
  readonly idleMs: number
  readonly now: () => number
}

/** How the body ended: cleanly (`error` undefined), reset by a timer or the upstream, or abandoned by the client (DC). */
export interface BodyOutcome {
  readonly error: ProxyError | undefined
  readonly bytes: number
}

export interface GuardedBody {
  readonly body: ReadableStream<Uint8Array>
  readonly done: Promise<BodyOutcome>
}

/** Bytes asked for per read: workerd hands fetch() bodies over in 4 KiB chunks, and a JS hop per 4 KiB is slow. */
const READ_BYTES = 64 * 1024

/**
 * Reads `source` in up-to-64 KiB pieces (a BYOB reader on a byte stream, as
 * fetch() bodies are: measured 100 MiB in ~1.2-3 s against ~6-10 s chunk by
 * chunk), or chunk by chunk when it is not a byte stream. With a declared
 * length, no read asks for more than what is left of it (+1, so the end
 * shows): a 30-byte body does not allocate 64 KiB.
 */
type Chunk = { readonly done: boolean; readonly value?: Uint8Array | undefined }

function chunkReader(source: ReadableStream<Uint8Array>, declared: number | undefined): { read(got: number): Promise<Chunk>; cancel(reason?: unknown): Promise<void> } {
  try {
    const byob = source.getReader({ mode: 'byob' }) as unknown as ReadableStreamBYOBReader
    const size = (got: number) => (declared === undefined ? READ_BYTES : Math.max(1, Math.min(READ_BYTES, declared - got + 1)))
    return {
      read: (got) => byob.read(new Uint8Array(size(got))) as Promise<Chunk>,
      cancel: (reason) => byob.cancel(reason),
    }
  } catch {
    const reader = source.getReader()
    return { read: () => reader.read(), cancel: (reason) => reader.cancel(reason) }
  }
}

/**
 * The native pipe the guarded body is written into: a FixedLengthStream when
 * the length is known (see `fixedLength`), else an IdentityTransformStream —
 * so the Response's body is a native stream workerd sends without calling
 * back into JS, and only the upstream side is read in JS. Outside workerd
 * (Node), a TransformStream.
 */
function nativePipe(fixedLength: number | undefined): { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> } {
  const g = globalThis as { FixedLengthStream?: new (n: number) => TransformStream<Uint8Array, Uint8Array>; IdentityTransformStream?: new () => TransformStream<Uint8Array, Uint8Array> }
  if (fixedLength !== undefined && g.FixedLengthStream) return new g.FixedLengthStream(fixedLength)
  if (g.IdentityTransformStream) return new g.IdentityTransformStream()
  return new TransformStream<Uint8Array, Uint8Array>(undefined, undefined, { highWaterMark: 0 })
}

/**
 * `fixedLength`: the upstream's Content-Length, to keep on the way out (a
 * body that ends short of it then closes the connection short, so the client
 * sees the reset; see send.ts `keepLength`); undefined to stream chunked.
 *
 * One JS loop reads the upstream body and writes each piece into a native
 * pipe: a write resolves once the client has taken the piece, so the
 * upstream is read no faster than the client reads (the backpressure of a
 * pull stream), and the loop — the request's pending work — keeps the
 * timers alive until the last byte.
 */
export function guardBody(source: ReadableStream<Uint8Array>, limits: BodyLimits, fixedLength?: number): GuardedBody {
  const reader = chunkReader(source, fixedLength)
  const pipe = nativePipe(fixedLength)
  const writer = pipe.writable.getWriter()
  let bytes = 0
  let settled = false
  let idleTimer: ReturnType<typeof setTimeout> | null = null
  let deadlineTimer: ReturnType<typeof setTimeout> | null = null
  let resolveDone!: (o: BodyOutcome) => void
  const done = new Promise<BodyOutcome>((resolve) => (resolveDone = resolve))

  const settle = (error: ProxyError | undefined) => {
    if (settled) return false
    settled = true
    if (idleTimer !== null) clearTimeout(idleTimer)
    if (deadlineTimer !== null) clearTimeout(deadlineTimer)
    resolveDone({ error, bytes })
    return true
  }
  // A reset: the client's read fails, and the upstream connection is dropped.
  const reset = (error: ProxyError) => {
    if (!settle(error)) return
    writer.abort(error).catch(() => undefined)
    reader.cancel(error).catch(() => undefined)
  }
  // The client stopped reading (went away): Envoy's downstream disconnect.
  const clientGone = (reason: unknown) => {
    if (!settle(new ProxyError('downstream_disconnect', { cause: reason }))) return
    reader.cancel(reason).catch(() => undefined)
  }
  writer.closed.catch(clientGone)
  // One timer, re-armed lazily from the time of the last chunk: cheaper than a
  // clearTimeout/setTimeout pair per chunk on a fast download.
  let lastActivity = limits.now()
  const armIdle = (ms: number) => {
    idleTimer = setTimeout(() => {
      const quiet = limits.now() - lastActivity
      if (quiet >= limits.idleMs) reset(new ProxyError('stream_idle_timeout'))
      else armIdle(limits.idleMs - quiet)
    }, ms)
  }
  let first: BodyDeadline | undefined
  for (const d of limits.deadlines) if (!first || d.at < first.at) first = d
  if (first && Number.isFinite(first.at)) {
    const fire = first
    deadlineTimer = setTimeout(() => reset(fire.error()), Math.max(0, fire.at - limits.now()))
  }
  if (limits.idleMs > 0) armIdle(limits.idleMs)

  const pump = async (): Promise<void> => {
    for (;;) {
      let chunk: Chunk
      try {
        chunk = await reader.read(bytes)
      } catch (cause) {
        // The upstream went away mid-body (Envoy: UR, the downstream stream is reset).
        return reset(new ProxyError('upstream_reset', { cause }))
      }
      if (settled) return
      const value = chunk.value
      if (value?.byteLength) {
        if (!chunk.done) lastActivity = limits.now()
        try {
          await writer.write(value)
        } catch (reason) {
          return clientGone(reason)
        }
        bytes += value.byteLength
        if (settled) return
      }
      if (chunk.done) {
        // A BYOB read may end with its last bytes.
        settle(undefined)
        // A FixedLengthStream refuses to close short of its length: the client sees the reset.
        return writer.close().catch(() => undefined)
      }
    }
  }
  void pump()
  return { body: pipe.readable, done }
}
