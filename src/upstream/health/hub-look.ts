/**
 * One look for everything an isolate learns in the background: the health
 * hub's one answer carries every cluster's health report *and* the latest
 * published config's version (authority.ts, HealthDigest), so one
 * subrequest on a miss serves both the health poller and the config refresh
 * (bench/sim, BENCHMARKS.md "Config and health distribution").
 *
 * The answer is shared by the isolates of a location through its cache
 * (location-cache.ts). The isolate judges its copy by the *data's* age — when
 * the answer was fetched from the hub, by whichever isolate fetched it — and
 * looks again once that age reaches what the caller allows (`maxAgeMs`). A
 * location's entry is reused while younger than FRESH_SHARE of that, so a
 * request sees health at most `maxAgeMs` (+ a round trip; + a lease while
 * another isolate refreshes) old wherever the copy came from.
 *
 * Costs: an isolate alone at its location (most locations at low traffic)
 * finds its own entry stale at every look; until it sees another isolate's
 * recent entry (then for SHARED_MEMORY_MS) it neither takes a lease nor puts
 * the entry back, so its look is one cache read and one hub request. Where other
 * isolates write the entry too, the refreshing isolate takes a short lease
 * (the others keep the stale copy meanwhile: no herd) and puts the answer
 * back for the location.
 */
import type { LocationCache } from '../location-cache.js'
import type { HealthDigest, HealthHub } from './authority.js'

export interface HubView {
  readonly state: HealthDigest
  /** When the hub answered (the fetching isolate's clock, ms). */
  readonly fetchedAt: number
  /** This isolate's draw in [0, 1): its copy counts as old JITTER_SHARE × draw early. */
  readonly draw: number
}

/** A location's entry is reused while younger than this share of the age the caller allows. */
export const FRESH_SHARE = 0.4
/**
 * Isolates that read one entry hold copies of one age: each looks again up to
 * this share of the allowed age early, at random, so they do not all find the
 * entry stale at once (the first takes the lease, the others use its copy).
 */
export const JITTER_SHARE = 0.25
/** How long a refreshing isolate holds the entry: one Durable Object round trip, with room. */
export const HUB_LEASE_MS = 1000
/** Long: an isolate alone keeps finding its own entry (judged by its age) instead of putting a new one when it expires. */
const KEEP_MS = 10 * 60_000
/** An isolate that saw another isolate's entry this recently shares the location: it puts what it fetches. */
export const SHARED_MEMORY_MS = 60_000
const KEY = '/hub/state'

export class HubLook {
  #memo: HubView | undefined
  #loading: Promise<HubView | undefined> | undefined
  /** Until when this isolate counts as sharing its location (it saw another writer's entry). */
  #sharedUntil = Number.NEGATIVE_INFINITY

  /** `writer`: this isolate's id, random per isolate. */
  constructor(
    readonly cache: LocationCache,
    readonly now: () => number,
    readonly writer: string,
    readonly random: () => number,
  ) {}

  /** What the isolate holds, without looking. */
  get held(): HubView | undefined {
    return this.#memo
  }

  /** The hub's answer at most `maxAgeMs` old, looking (once at a time) only when the isolate's copy is older. */
  get(hub: () => HealthHub, maxAgeMs: number): Promise<HubView | undefined> {
    const m = this.#memo
    if (m && this.now() - m.fetchedAt < maxAgeMs * (1 - JITTER_SHARE * m.draw)) return Promise.resolve(m)
    return (this.#loading ??= this.#look(hub, maxAgeMs)
      .then((v) => (this.#memo = v ?? this.#memo))
      .catch(() => this.#memo)
      .finally(() => (this.#loading = undefined)))
  }

  async #look(hub: () => HealthHub, maxAgeMs: number): Promise<HubView | undefined> {
    const now = this.now()
    // Alone there is no herd to spread: no early looks.
    const draw = () => (now < this.#sharedUntil ? this.random() : 0)
    const fetch = async () => ({ state: await hub().digest(), fetchedAt: this.now(), draw: draw() })
    if (!this.cache.effective) return fetch()
    const freshMs = maxAgeMs * FRESH_SHARE
    const usable = (fetchedAt: number, leaseUntil: number) => now - fetchedAt < freshMs || leaseUntil > now
    const mine = (writer: string | undefined) => writer === this.writer
    const shared = () => now < this.#sharedUntil
    // The body is read when it is used or put back with a lease; not for our own stale copy while alone.
    const hit = await this.cache.get(KEY, (m) => usable(m.fetchedAt, m.leaseUntil) || !mine(m.writer) || shared())
    // Another isolate's recent entry (not one left by an isolate long gone): the location is shared.
    if (hit && !mine(hit.meta.writer) && now - hit.meta.fetchedAt < 2 * maxAgeMs) this.#sharedUntil = now + SHARED_MEMORY_MS
    if (hit && usable(hit.meta.fetchedAt, hit.meta.leaseUntil)) {
      const held = this.#memo
      // Our own copy is at least as new: keep it (a leased stale entry may be older than what we hold).
      if (held && held.fetchedAt >= hit.meta.fetchedAt) return held
      return { state: hit.value as HealthDigest, fetchedAt: hit.meta.fetchedAt, draw: draw() }
    }
    const share = hit === undefined || shared()
    if (hit && share) await this.cache.put(KEY, { ...hit.meta, leaseUntil: now + HUB_LEASE_MS }, hit.value, KEEP_MS)
    const view = await fetch()
    if (share) await this.cache.put(KEY, { fetchedAt: view.fetchedAt, leaseUntil: 0, version: 0, writer: this.writer }, view.state, KEEP_MS)
    return view
  }
}
