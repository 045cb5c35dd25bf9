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
import type { HandedTimer } from './forward.js'

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
  let timer: ReturnType<typeof setTimeout> | null = null
  let resolveDone!: (o: BodyOutcome) => void
  const done = new Promise<BodyOutcome>((resolve) => (resolveDone = resolve))

  const settle = (error: ProxyError | undefined) => {
    if (settled) return false
    settled = true
    if (timer !== null) clearTimeout(timer)
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
  // One timer for every limit (timers are not free in workerd: one set and
  // one clear per request instead of two of each), armed for whichever limit
  // comes first. The idle limit is re-armed lazily from the time of the last
  // chunk: cheaper than a clearTimeout/setTimeout pair per chunk on a fast download.
  const first = earliest(limits.deadlines)
  let lastActivity = limits.now()
  const arm = () => {
    const idleAt = limits.idleMs > 0 ? lastActivity + limits.idleMs : Infinity
    if (first && first.at <= idleAt) {
      const deadline = first
      timer = setTimeout(() => reset(deadline.error()), Math.max(0, deadline.at - limits.now()))
    } else if (Number.isFinite(idleAt)) timer = setTimeout(onIdle, Math.max(0, idleAt - limits.now()))
  }
  const onIdle = () => {
    const quiet = limits.now() - lastActivity
    if (quiet >= limits.idleMs) reset(new ProxyError('stream_idle_timeout'))
    else arm()
  }

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
        arm()
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

/**
 * The same guard when only a deadline can end the body early: a body of
 * known length (`fixedLength`, kept on the way out) and no idle limit that
 * could fire before the deadline. workerd then pipes the body natively
 * (pipeTo between its own streams: no JS per chunk — ~300 µs of CPU less per
 * request than reading it through JS, measured with bench/profile-runtime.ts),
 * and the deadline aborts the pipe, which resets the stream as guardBody
 * does. What it cannot know is how many bytes reached the client before a
 * reset: the outcome then says 0 (docs/differences.md).
 * `deadline` undefined: nothing can end the body early; it is still piped
 * into the FixedLengthStream, so a short upstream body resets the client.
 */
export function pipeBody(source: ReadableStream<Uint8Array>, fixedLength: number, deadline: BodyDeadline | undefined, now: () => number, running?: HandedTimer): GuardedBody {
  const Fixed = (globalThis as { FixedLengthStream?: new (n: number) => TransformStream<Uint8Array, Uint8Array> }).FixedLengthStream!
  const out = new Fixed(fixedLength)
  const abort = new AbortController()
  // `running`: a timer already set for `deadline.at` (the wait for headers had the same deadline): it takes over, no second timer.
  let stop: (() => void) | undefined
  if (deadline && running) {
    running.take(() => abort.abort(deadline.error()))
    stop = running.clear
  } else if (deadline) {
    const timer = setTimeout(() => abort.abort(deadline.error()), Math.max(0, deadline.at - now()))
    stop = () => clearTimeout(timer)
  }
  const done = source.pipeTo(out.writable, { signal: abort.signal }).then(
    (): BodyOutcome => ({ error: undefined, bytes: fixedLength }),
    async (cause: unknown): Promise<BodyOutcome> => {
      if (abort.signal.aborted) return { error: abort.signal.reason as ProxyError, bytes: 0 }
      // Which side failed: an upstream that errored leaves its stream errored; a client that went away made the pipe cancel it.
      let upstreamFailed = false
      try {
        upstreamFailed = await source.getReader().closed.then(() => false, () => true)
      } catch {
        /* still locked: count it as the client's */
      }
      return { error: new ProxyError(upstreamFailed ? 'upstream_reset' : 'downstream_disconnect', { cause }), bytes: 0 }
    },
  )
  return { body: out.readable, done: stop === undefined ? done : done.finally(stop) }
}

/** Bodies of known length up to this size are read whole before the answer (`readSmallBody`). */
export const SMALL_BODY_BYTES = 64 * 1024

/**
 * A small body of known length, read whole while the deadline's timer (the
 * one that bounded the wait for headers, `running`) keeps running, then
 * handed on as bytes: no stream, no timer left behind, and the outcome is
 * known. An upstream sends such a body with its headers or right after, so
 * the client's first byte is not noticeably later. When the deadline fires
 * first, or the upstream closes short of the length, the client still gets
 * the headers and then a reset (a body that errors under the kept
 * Content-Length), as when Envoy resets a stream mid-body; %BYTES_SENT% is 0.
 */
export async function readSmallBody(source: Response, length: number, deadline: BodyDeadline, abort: (reason: ProxyError) => void, running: HandedTimer): Promise<{ body: BodyInit; outcome: BodyOutcome }> {
  let fired: ProxyError | undefined
  running.take(() => abort((fired = deadline.error())))
  try {
    const bytes = await source.arrayBuffer()
    if (bytes.byteLength === length) return { body: bytes, outcome: { error: undefined, bytes: length } }
    throw new Error(`upstream body of ${bytes.byteLength} bytes, ${length} declared`)
  } catch (cause) {
    const error = fired ?? new ProxyError('upstream_reset', { cause })
    const Fixed = (globalThis as { FixedLengthStream?: new (n: number) => TransformStream<Uint8Array, Uint8Array> }).FixedLengthStream!
    const reset = new Fixed(length)
    reset.writable.abort(error).catch(() => undefined)
    return { body: reset.readable, outcome: { error, bytes: 0 } }
  } finally {
    running.clear()
  }
}

/**
 * No stream at all, when nothing observes how the body ends (no access log,
 * no tracing: router/app.ts decides it per listener when the snapshot is
 * loaded): the client gets the upstream's own body, which workerd passes
 * through natively, and the deadline aborts the upstream fetch, which errors
 * that body where it stands — with the upstream's Content-Length kept the
 * client sees a reset, never a clean, short end (test/node/passthrough-dev.test.ts).
 * Only where pipeBody could stand in (`canPipe`: a known length, no idle limit
 * that could fire before the deadline). workerd drops a request's timers once
 * its handler has returned, so the returned promise — settled when the timer
 * has fired — must be held with waitUntil until then. Costs one timer, no
 * stream: ~+100 µs of workerd CPU per request against ~+300 µs for the pipe
 * (bench/workers/bare-abort.mjs against bare-piped.mjs). Undefined: no deadline, nothing to hold.
 */
export function abortAtDeadline(abort: (reason: ProxyError) => void, deadline: BodyDeadline | undefined, now: () => number, running?: HandedTimer): Promise<void> | undefined {
  if (!deadline) return undefined
  const hold = new Promise<void>((resolve) => {
    const fire = () => {
      abort(sharedReason(deadline.error))
      resolve()
    }
    if (running) running.take(fire)
    else setTimeout(fire, Math.max(0, deadline.at - now()))
  })
  deadlineHolds.add(hold)
  return hold
}

const deadlineHolds = new WeakSet<Promise<void>>()

/**
 * The timer fires for every passed-through request, mostly long after its
 * body ended, and the abort reason reaches no one but the runtime's log: one
 * error per kind of deadline (per `error` factory) instead of a new Error,
 * whose stack capture was ~7 % of the seed isolate's CPU profile.
 */
const reasons = new WeakMap<() => ProxyError, ProxyError>()
function sharedReason(make: () => ProxyError): ProxyError {
  let reason = reasons.get(make)
  if (reason === undefined) reasons.set(make, (reason = make()))
  return reason
}

/**
 * Is `p` an `abortAtDeadline` hold: a waitUntil that only keeps a deadline
 * timer alive and does no work unless the body outlives the deadline? Whoever
 * waits for a request's background work (tests' `settle`) skips it.
 */
export function isDeadlineHold(p: Promise<unknown>): boolean {
  return deadlineHolds.has(p as Promise<void>)
}

/** Can pipeBody stand in for guardBody here (see pipeBody)? */
export function canPipe(fixedLength: number | undefined, limits: BodyLimits): boolean {
  if (fixedLength === undefined || typeof (globalThis as { FixedLengthStream?: unknown }).FixedLengthStream !== 'function') return false
  if (limits.idleMs <= 0) return true
  const first = earliest(limits.deadlines)
  // A stall of idleMs that starts now would end after the deadline: the idle timer can never fire first.
  return first !== undefined && first.at - limits.now() <= limits.idleMs
}

export function earliest(deadlines: readonly BodyDeadline[]): BodyDeadline | undefined {
  let first: BodyDeadline | undefined
  for (const d of deadlines) if (Number.isFinite(d.at) && (!first || d.at < first.at)) first = d
  return first
}
