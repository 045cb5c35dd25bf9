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

export function guardBody(source: ReadableStream<Uint8Array>, limits: BodyLimits): GuardedBody {
  const reader = source.getReader()
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
  const armIdle = () => {
    if (limits.idleMs <= 0) return
    if (idleTimer !== null) clearTimeout(idleTimer)
    idleTimer = setTimeout(() => reset(new ProxyError('stream_idle_timeout')), limits.idleMs)
  }

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
        const first = [...limits.deadlines].sort((a, b) => a.at - b.at)[0]
        if (first && Number.isFinite(first.at)) deadlineTimer = setTimeout(() => reset(first.error()), Math.max(0, first.at - limits.now()))
        armIdle()
      },
      async pull(c) {
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch (cause) {
          // The upstream went away mid-body (Envoy: UR, the downstream stream is reset).
          return reset(new ProxyError('upstream_reset', { cause }))
        }
        if (settled) return
        if (chunk.done) {
          settle(undefined)
          return c.close()
        }
        bytes += chunk.value.byteLength
        armIdle()
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
