/**
 * In-flight requests per host in this isolate (Envoy's `rq_active` host
 * gauge), which LEAST_REQUEST compares. The send path brackets each attempt:
 *
 *   const done = activeRequests.begin(host)
 *   try { … await forward(…) … } finally { done() }
 *
 * Keyed by `host.address`, so a rebuilt balancer (new Host objects after a
 * config or health change) still sees the requests already in flight.
 * Counts are per isolate: Workers spreads load over many isolates, each of
 * which balances on what it alone has in flight (see the README).
 */
import type { Host } from '../../compile/types'

export class ActiveRequests {
  readonly #active = new Map<string, number>()

  /** Count one request to `host` in flight; the returned function ends it (calling it twice is harmless). */
  begin(host: Pick<Host, 'address'>): () => void {
    const key = host.address
    this.#active.set(key, (this.#active.get(key) ?? 0) + 1)
    let ended = false
    return () => {
      if (ended) return
      ended = true
      const left = (this.#active.get(key) ?? 1) - 1
      if (left > 0) this.#active.set(key, left)
      else this.#active.delete(key)
    }
  }

  get(host: Pick<Host, 'address'>): number {
    return this.#active.get(host.address) ?? 0
  }
}

/** The isolate's counter, shared by the send path and every LEAST_REQUEST balancer. */
export const activeRequests = new ActiveRequests()
