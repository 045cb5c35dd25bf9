/**
 * The simulation's clock: a discrete-event queue (binary heap by time). The
 * real modules await `sleep(ms)` and the stubs' round trips; each becomes an
 * event. Events within one millisecond run together, then every promise
 * continuation they released runs (one macrotask turn drains the microtask
 * queue) before time moves on — so `now()` is exact to 1 ms.
 */
interface Event {
  t: number
  seq: number
  fn: () => void
}

export class Clock {
  now = 0
  events = 0
  #heap: Event[] = []
  #seq = 0
  /** Waiting for the current millisecond's events and every continuation they released to have run (`idle`). */
  #idle: (() => void)[] = []

  readonly sleep = (ms: number): Promise<void> => new Promise((resolve) => this.at(this.now + Math.max(0, ms), resolve))
  readonly nowFn = (): number => this.now

  /**
   * Resolves at the current time once this millisecond's events and every promise continuation they
   * released have run — when a single-threaded runtime would next look at its timers. Everything
   * waiting for it then is resumed together.
   */
  idle(): Promise<void> {
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  at(t: number, fn: () => void): void {
    const h = this.#heap
    const e = { t, seq: this.#seq++, fn }
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (before(h[p]!, e)) break
      h[i] = h[p]!
      i = p
    }
    h[i] = e
  }

  #pop(): Event {
    const h = this.#heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= h.length) break
        const r = l + 1
        const c = r < h.length && before(h[r]!, h[l]!) ? r : l
        if (before(last, h[c]!)) break
        h[i] = h[c]!
        i = c
      }
      h[i] = last
    }
    return top
  }

  async run(until: number): Promise<void> {
    const h = this.#heap
    while (h.length && h[0]!.t <= until) {
      const t = h[0]!.t
      this.now = t
      while (h.length && h[0]!.t < t + 1) {
        this.events++
        this.#pop().fn()
      }
      await new Promise<void>((r) => setImmediate(r))
      while (this.#idle.length) {
        for (const resume of this.#idle.splice(0)) resume()
        await new Promise<void>((r) => setImmediate(r))
      }
    }
    this.now = until
  }
}

const before = (a: Event, b: Event) => a.t < b.t || (a.t === b.t && a.seq < b.seq)

/**
 * The one thread of a workerd process (the runtime comparison): Miniflare runs every isolate of the
 * location, its Cache API, its Durable Objects, KV and D1 in one process, on one thread. So:
 * - a timer due while any operation is in flight runs only once the thread is free — after that
 *   operation and every one its caller then made back to back (a look's match, lease put, digest or
 *   D1 query, put): an isolate whose poll falls due while another is looking sees that look's entry;
 * - the thread wakes for the earliest timer due (late by what the machine adds) and runs every timer
 *   due by then, of every isolate, in one turn, one callback after another (`spacing`, ~1 ms each) —
 *   isolates whose polls are due together look together, and both miss the entry.
 * Measured (test/node/sim-vs-runtime.test.ts, SIM_DUMP traces of 6 runs, 2026-12-01 02:08–02:15 UTC):
 * all 54 timers due inside another isolate's cache operation ran once it had ended (none during it);
 * of two isolates' timers due in the same millisecond 70% ran in the same millisecond, 1 ms apart
 * 37%, 2 ms apart 10% (the model with `spacing` up to 1 ms: 75%, 57%, 10%). The model before, each
 * timer late on its own, had the isolates look together when the runtime could not, and looked ~5%
 * more often than the runtime (BENCHMARKS.md "One thread").
 */
export class Thread {
  /** When the operations in flight are done. */
  #until = 0
  /** Timers set and not run yet. */
  readonly #timers = new Set<{ due: number; run: () => void }>()
  /** Timers due, waiting for the thread to be free. */
  #ready: { due: number; run: () => void }[] = []
  #releasing = false
  /** `spacing`: how long each timer's callback takes before the next one released with it starts (ms). */
  constructor(readonly clock: Clock, readonly spacing: () => number = () => 0) {}

  /** An operation made now keeps the thread busy until `done`. */
  hold(done: number): void {
    if (done > this.#until) this.#until = done
  }

  /** An operation of `ms` made now, holding the thread meanwhile. */
  busy(ms: number): Promise<void> {
    this.hold(this.clock.now + ms)
    return this.clock.sleep(ms)
  }

  /** A timer set now for `due`; the thread wakes for it `lateMs` after that, unless it woke earlier for another timer. */
  timer(due: number, lateMs: number): Promise<void> {
    return new Promise((run) => {
      this.#timers.add({ due, run })
      this.clock.at(due + lateMs, () => this.#wake())
    })
  }

  /** Every timer due by now is ready (the clock runs a millisecond's events at its first event's time). */
  #wake(): void {
    const now = this.clock.now
    for (const t of this.#timers)
      if (t.due < now + 1) {
        this.#timers.delete(t)
        this.#ready.push(t)
      }
    if (this.#ready.length && !this.#releasing) {
      this.#releasing = true
      void this.#release()
    }
  }

  /** Runs the ready timers together once nothing is in flight (after this millisecond's continuations). */
  async #release(): Promise<void> {
    for (;;) {
      await this.clock.idle()
      if (this.#until <= this.clock.now) break
      await this.clock.sleep(this.#until - this.clock.now)
    }
    this.#releasing = false
    // In the order they were due, each starting when the one before has run (and made its operations).
    const ready = this.#ready.splice(0).sort((a, b) => a.due - b.due)
    let at = this.clock.now
    for (const t of ready) {
      if (at <= this.clock.now) t.run()
      else this.clock.at(at, t.run)
      at += this.spacing()
    }
  }
}

/** `ms` of an operation made now: on `thread` (holding it) when given. */
export const operation = (clock: Clock, thread: Thread | undefined, ms: number): Promise<void> => (thread ? thread.busy(ms) : clock.sleep(ms))
