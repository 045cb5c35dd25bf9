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

  readonly sleep = (ms: number): Promise<void> => new Promise((resolve) => this.at(this.now + Math.max(0, ms), resolve))
  readonly nowFn = (): number => this.now

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
    }
    this.now = until
  }
}

const before = (a: Event, b: Event) => a.t < b.t || (a.t === b.t && a.seq < b.seq)
