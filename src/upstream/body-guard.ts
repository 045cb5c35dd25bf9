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
 * chunk), or chunk by chunk when it is not a byte stream.
 */
type Chunk = { readonly done: boolean; readonly value?: Uint8Array | undefined }

function chunkReader(source: ReadableStream<Uint8Array>): { read(): Promise<Chunk>; cancel(reason?: unknown): Promise<void> } {
  try {
    const byob = source.getReader({ mode: 'byob' }) as unknown as ReadableStreamBYOBReader
    return {
      read: () => byob.read(new Uint8Array(READ_BYTES)) as Promise<Chunk>,
      cancel: (reason) => byob.cancel(reason),
    }
  } catch {
    const reader = source.getReader()
    return { read: () => reader.read(), cancel: (reason) => reader.cancel(reason) }
  }
}

export function guardBody(source: ReadableStream<Uint8Array>, limits: BodyLimits): GuardedBody {
  const reader = chunkReader(source)
  let bytes = 0
  let settled = false
  let controller!: ReadableStreamDefaultController<Uint8Array>
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
    try {
      controller.error(error)
    } catch {
      /* already closed */
    }
    reader.cancel(error).catch(() => undefined)
  }
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

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
        const first = [...limits.deadlines].sort((a, b) => a.at - b.at)[0]
        if (first && Number.isFinite(first.at)) deadlineTimer = setTimeout(() => reset(first.error()), Math.max(0, first.at - limits.now()))
        if (limits.idleMs > 0) armIdle(limits.idleMs)
      },
      async pull(c) {
        let chunk: Chunk
        try {
          chunk = await reader.read()
        } catch (cause) {
          // The upstream went away mid-body (Envoy: UR, the downstream stream is reset).
          return reset(new ProxyError('upstream_reset', { cause }))
        }
        if (settled) return
        if (chunk.done) {
          // A BYOB read may end with its last bytes.
          if (chunk.value?.byteLength) c.enqueue(chunk.value)
          bytes += chunk.value?.byteLength ?? 0
          settle(undefined)
          return c.close()
        }
        if (!chunk.value?.byteLength) return
        bytes += chunk.value.byteLength
        lastActivity = limits.now()
        c.enqueue(chunk.value)
      },
      cancel(reason) {
        // The client stopped reading (went away): Envoy's downstream disconnect.
        settle(new ProxyError('downstream_disconnect', { cause: reason }))
        return reader.cancel(reason).catch(() => undefined)
      },
    },
    { highWaterMark: 0 },
  )
  return { body, done }
}
