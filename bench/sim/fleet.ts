/// <reference path="../../src/env.d.ts" />
/**
 * The fleet: Cloudflare locations with traffic weights, isolates started on
 * demand at the machines of a location, evicted when idle and recycled after
 * a lifetime. Each simulated isolate runs edgevoy's own background code —
 * `servingForRequest` (src/state/refresh.ts) for config versions and
 * `HealthPoller` (src/upstream/health/poller.ts) for health reports — wired
 * exactly as the composition root wires it (src/state/distribution.ts), with
 * the clock, sleep, KV, Durable Objects and Cache API replaced by the models
 * in stubs.ts. Only loading a snapshot is replaced: installing a version
 * records its number (the same "only if newer" rule as Isolate.install).
 *
 * Requests: an isolate receiving more than `tickRps` requests/s gets request
 * events at `tickRps` (evenly spaced, random phase), each standing for
 * rate/tickRps requests; slower isolates get every request (Poisson). The
 * background code only needs to see *that* traffic continues, so this
 * changes its work by at most one tick (~1/tickRps s per refresh); staleness
 * is measured on the sampled requests, weighted by what they stand for.
 */
import type { Cluster } from '../../src/compile/types.js'
import { directDistribution, locationDistribution, type Distribution } from '../../src/state/distribution.js'
import type { PublishedConfig } from '../../src/state/published.js'
import { servingForRequest, type RefreshingIsolate } from '../../src/state/refresh.js'
import type { IsolateState, Serving } from '../../src/state/serving.js'
import type { HealthAuthority } from '../../src/upstream/health/authority.js'
import type { ClusterHealthReport } from '../../src/upstream/health/flags.js'
import { rowFirstHub } from '../../src/upstream/health/hub-row.js'
import { HubRowWriter } from '../../src/upstream/health/hub-row-writer.js'
import { writeConfigRows } from '../../src/state/config-rows.js'
import { HealthPoller } from '../../src/upstream/health/poller.js'
import { seededRandom } from '../../test/support/seeded-random.js'
import { Clock, Thread } from './events.js'
import { AuthorityModel, CacheModel, Counters, D1Model, HubModel, KvModel } from './stubs.js'

/** `location-d1`: location-hub with the D1 binding (EDGEVOY_DB): the hub writes its answer to a row, looks read it. */
export type Design = 'direct' | 'location-hub' | 'location-d1'

export interface Location {
  readonly weight: number
  /** Most isolates this location runs for the Worker. */
  readonly machines: number
  /** Round trip to the Durable Objects and KV's central store. */
  readonly rttMs: number
}

export interface FleetSetup {
  readonly design: Design
  /** Client requests per second, worldwide. */
  readonly rate: number
  readonly clusters: number
  readonly intervalMs: number
  readonly refreshSeconds: number
  readonly locations: readonly Location[]
  /** A location runs ceil(its rate / this) isolates (Cloudflare spreads a busy Worker over more machines). */
  readonly perIsolateRps: number
  readonly idleEvictMs: number
  /** Mean isolate lifetime (exponential); Infinity: never recycled. */
  readonly lifetimeMs: number
  readonly tickRps: number
  /** Counting starts here; the config and the health of every cluster change here too. */
  readonly changeAt: number
  readonly endMs: number
  readonly seed: number
  /** First requests spread over this long. */
  readonly startSpreadMs: number
  /** Called for every sampled request after the change (debugging the model). */
  readonly trace?: (location: number, now: number, healthFresh: boolean, weight: number) => void
  /** The authorities start without a registered target (the runtime comparison); default: registered long ago. */
  readonly coldAuthorities?: boolean
  /** How long a Cache API operation takes (ms; default 0). */
  readonly cacheMs?: number
  /** The runtime comparison: how long the runtime's cache operations took (ms samples); each of the model's takes one of them. */
  readonly cacheTimes?: readonly number[]
  /** The runtime comparison: how long the runtime's cache puts took (ms samples; `cacheTimes` then are its matches'): a put writes a body, so it takes longer. */
  readonly cachePutTimes?: readonly number[]
  /** The runtime comparison: how long the runtime's D1 queries took (ms samples); each of the model's takes one of them. */
  readonly d1Times?: readonly number[]
  /** The runtime comparison: how late the runtime's timers fired (ms samples); each sleep of the isolates' code is late by one of them. */
  readonly timerLate?: readonly number[]
  /**
   * The runtime comparison: the runtime's stalls of the process ([due, ran] ms of its late timers during
   * which nothing else ran: test/node/sim-vs-runtime.test.ts processStalls).
   * The runtime's isolates share one thread, so a stall holds every timer due in it until it ends: a
   * sleep of the isolates' code due inside one of these runs when it ended — isolates whose timers a
   * stall lines up stay in step afterwards (their loops sleep a period from when they woke), as in the
   * runtime. A sleep no stall covers is late by a `timerLate` sample.
   */
  readonly stalls?: readonly (readonly [number, number])[]
  /**
   * The runtime comparison: when the runtime's cache operations were slow ([from, to] ms). The cache serves
   * every isolate's operations in turn, so an operation of the model made during one (or during a stall)
   * finishes when it ended; `cacheTimes` then gives the rest (the fast operations' times).
   */
  readonly cacheBusy?: readonly (readonly [number, number])[]
  /** The runtime comparison: each isolate's request times (ms), replayed instead of generated; one location, one slot per list. */
  readonly arrivals?: readonly (readonly number[])[]
  /**
   * The runtime comparison: a location's isolates, cache, Durable Objects, KV and D1 share one thread
   * (one workerd process), so an isolate's timer due while any of their operations is in flight runs
   * only once the thread is free (events.ts Thread). At scale (`npm run sim`) each isolate has its own.
   */
  readonly oneThread?: boolean
  /** With `oneThread`: timers released together run up to this long apart (ms, uniform; default CALLBACK_MS). */
  readonly callbackMs?: number
  /** Requests evenly spaced at every isolate (the runtime comparison), instead of Poisson. */
  readonly evenArrivals?: boolean
  /** What-if (the design before, not the runtime's): one authority object per cluster, each with its own alarm, publishing to the hub. */
  readonly perClusterAuthorities?: boolean
  /** The runtime comparison: nothing is ever published to KV (the runtime's isolates serve their base config). */
  readonly nothingPublished?: boolean
  /** A label for the row (default: the design). */
  readonly label?: string
}

/** How often the hub re-reads the config version from KV (src/state/health-authority.ts CONFIG_RECHECK_MS). */
export const HUB_CONFIG_RECHECK_MS = 30_000

export const BIN_MS = 250

export interface FleetResult {
  readonly setup: FleetSetup
  readonly counters: Counters
  readonly clientRequests: number
  readonly isolatesStarted: number
  readonly isolatesPeak: number
  readonly events: number
  /** Per BIN_MS after the change: request weight that saw the new / the old config and health. */
  readonly config: Samples
  readonly health: Samples
}

export interface Samples {
  readonly fresh: number[]
  readonly stale: number[]
  /** Requests served before the isolate had read any config / any report of the cluster. */
  cold: number
}

class SimIsolate implements RefreshingIsolate {
  alive = true
  lastRequest = 0
  readonly reports = new Map<string, ClusterHealthReport>()
  readonly s: IsolateState
  readonly poller: HealthPoller
  readonly env: Record<string, unknown>
  readonly refresh: Distribution['refresh']

  constructor(clock: Clock, d: Distribution, kv: KVNamespace, refreshSeconds: number, late: (due: number) => number, db?: D1Database, thread?: Thread) {
    this.refresh = d.refresh
    const base = { version: 0 } as Serving
    this.s = { key: '', base, baseHash: 'base', xdsPolled: false, stored: undefined, problem: undefined, lastCheck: Number.NEGATIVE_INFINITY, inflight: undefined }
    // A recycled isolate's timers never fire again: its loops end where they sleep.
    // On the runtime's one thread timers due together run together, once no operation is in flight.
    const sleep = (ms: number) => {
      if (!this.alive) return new Promise<void>(() => {})
      const due = clock.now + ms
      return thread ? thread.timer(due, late(due)) : clock.sleep(ms + late(due))
    }
    this.poller = new HealthPoller({ ...d.health, now: clock.nowFn, sleep })
    this.env = { CONFIG: kv, CONFIG_REFRESH_SECONDS: String(refreshSeconds), ...(db ? { EDGEVOY_DB: db } : {}) }
  }

  ready() {
    return this.s
  }
  async prepare() {
    return this.s
  }
  state() {
    return this.s
  }
  install(_env: unknown, published: PublishedConfig) {
    if (published.version <= (this.s.stored?.version ?? 0)) return { installed: false }
    this.s.stored = { version: published.version } as Serving
    return { installed: true }
  }
}

/** mulberry32: a seeded generator, so runs repeat (one copy for bench and tests: a leaf module with no imports). */
export { seededRandom as seeded } from '../../test/support/seeded-random.js'

const published = (version: number): PublishedConfig => ({ version, config: {}, createdAt: new Date(0).toISOString(), snapshot: '{}' })

export async function runFleet(setup: FleetSetup): Promise<FleetResult> {
  const clock = new Clock()
  const random = seededRandom(setup.seed)
  const counters = new Counters(setup.changeAt)
  const kv = new KvModel(clock, counters)
  const authorities = Array.from({ length: setup.clusters }, (_, i) => new AuthorityModel(`cluster-${i}`, `h${i}`, clock, counters, setup.changeAt))
  const clusters = authorities.map(
    (a) => ({ name: a.name, hash: a.hash, hosts: [], resilience: { healthChecks: [{ intervalMs: setup.intervalMs }] } }) as unknown as Cluster,
  )
  if (setup.coldAuthorities) for (const a of authorities) a.registered = false
  const hubConfig = setup.design !== 'direct' ? { version: () => (kv.central as PublishedConfig | null)?.version ?? 0, recheckMs: HUB_CONFIG_RECHECK_MS } : undefined
  const d1 = setup.design === 'location-d1' ? new D1Model(clock, counters) : undefined
  const hub = new HubModel(authorities, clock, counters, setup.intervalMs, setup.endMs, hubConfig, setup.perClusterAuthorities, d1 && new HubRowWriter(d1.writer()))
  // The config authority writes KV, then (with D1) the version's rows, then tells the hub (src/admin/authority.ts #publish).
  const publish = async (version: number) => {
    kv.central = published(version)
    if (d1) await writeConfigRows(d1.writer(), published(version))
    hub.published(setup.changeAt)
  }
  if (!setup.nothingPublished) {
    kv.central = published(1)
    if (d1) clock.at(0, () => void writeConfigRows(d1.writer(), published(1)))
    clock.at(setup.changeAt, () => void publish(2))
  }

  const bins = Math.ceil((setup.endMs - setup.changeAt) / BIN_MS) + 1
  const zero = () => new Array<number>(bins).fill(0)
  const config = { fresh: zero(), stale: zero(), cold: 0 }
  const health = { fresh: zero(), stale: zero(), cold: 0 }
  let started = 0
  let live = 0
  let peak = 0
  let clientRequests = 0
  const lateness = setup.timerLate
  const stalls = setup.stalls
  // Timers a stall released together run one after another (each callback's own work and I/O first): a few ms apart.
  const sampled = lateness?.length ? () => lateness[Math.floor(random() * lateness.length)]! : () => 0
  const late = stalls?.length ? (due: number) => (stalledUntil(stalls, due) > due ? stalledUntil(stalls, due) - due + Math.floor(random() * STALL_SPREAD_MS) : sampled()) : sampled

  const busy = setup.cacheBusy ? union([...setup.cacheBusy, ...(stalls ?? [])]) : []

  for (const [li, loc] of setup.locations.entries()) {
    const rate = setup.rate * loc.weight
    if (rate <= 0) continue
    const place = { kvCache: new Map<string, { value: unknown; at: number }>(), rttMs: loc.rttMs }
    const thread = setup.oneThread ? new Thread(clock, () => random() * (setup.callbackMs ?? CALLBACK_MS)) : undefined
    const kvNs = kv.namespace(place, setup.design === 'direct' ? 'kv' : 'kv:new-version', thread)
    const draw = (xs: readonly number[] | undefined) => (xs?.length ? () => xs[Math.floor(random() * xs.length)]! : undefined)
    const cache = new CacheModel(clock, counters, setup.cacheMs, draw(setup.cacheTimes), busy, draw(setup.cachePutTimes), thread)
    const stubs = new Map<string, HealthAuthority>(authorities.map((a) => [a.name, a.stub(loc.rttMs, thread)]))
    const rawHub = hub.stub(loc.rttMs, thread)
    // As namespaceResolver does with a D1 binding: the row first, the hub when the row is not live.
    const db = d1?.reader(loc.rttMs, draw(setup.d1Times), thread)
    const hubFn = db ? rowFirstHub(() => rawHub, db, clock.nowFn) : () => rawHub
    const hubStub = hubFn()
    const hubOf = () => hubFn
    // Per isolate, as the composition root does (the hub look keeps the isolate's last answer; its id marks its entries).
    const distribution = () => (setup.design === 'direct' ? directDistribution(clock.nowFn) : locationDistribution(cache, clock.nowFn, `isolate-${started}`, random, hubOf))
    const resolve = Object.assign((name: string) => stubs.get(name)!, { hub: () => hubStub })
    const slots = setup.arrivals?.length ?? Math.min(loc.machines, Math.max(1, Math.ceil(rate / setup.perIsolateRps)))
    const slotRate = rate / slots
    const tick = Math.min(slotRate, setup.tickRps)
    const weight = slotRate / tick
    const even = setup.evenArrivals || slotRate > setup.tickRps

    for (let k = 0; k < slots; k++) {
      let iso: SimIsolate | undefined
      const arrive = () => {
        const now = clock.now
        if (iso && now - iso.lastRequest > setup.idleEvictMs) {
          iso.alive = false
          iso = undefined
          live--
        }
        if (!iso) {
          const fresh = new SimIsolate(clock, distribution(), kvNs, setup.refreshSeconds, late, db, thread)
          iso = fresh
          started++
          peak = Math.max(peak, ++live)
          if (Number.isFinite(setup.lifetimeMs)) {
            clock.at(now - setup.lifetimeMs * Math.log(1 - random()), () => {
              if (iso !== fresh) return
              fresh.alive = false
              iso = undefined
              live--
            })
          }
        }
        const i = iso
        i.lastRequest = now
        if (now >= setup.changeAt) clientRequests += weight
        void servingForRequest(i, i.env as never, CTX, i.refresh)
        const version = i.s.stored?.version ?? 0
        const cluster = replay ? clusters[(next + k) % clusters.length]! : clusters[Math.floor(random() * clusters.length)]!
        i.poller.touch(cluster, resolve, NO_WAIT, (r) => i.reports.set(r.cluster, r))
        if (now >= setup.changeAt) {
          // A request an isolate serves before its first config read or its first report of the
          // cluster has come back is a cold start, counted apart from propagation.
          const b = Math.floor((now - setup.changeAt) / BIN_MS)
          if (version === 0) config.cold += weight
          else (version >= 2 ? config.fresh : config.stale)[b]! += weight
          const report = i.reports.get(cluster.name)
          const fresh = report?.hosts.h0?.activeFailed === true
          if (!report) health.cold += weight
          else (fresh ? health.fresh : health.stale)[b]! += weight
          setup.trace?.(li, now, fresh, weight)
        }
        if (replay) {
          const t = replay[++next]
          if (t !== undefined) clock.at(t, arrive)
          return
        }
        const gap = even ? 1000 / tick : (-1000 / tick) * Math.log(1 - random())
        clock.at(now + gap, arrive)
      }
      const replay = setup.arrivals?.[k]
      let next = 0
      // Isolates come up over the warm-up (a real fleet's isolates start at unrelated times), then traffic is steady.
      if (replay) replay.length && clock.at(replay[0]!, arrive)
      else clock.at(setup.evenArrivals ? (random() * 1000) / tick : random() * setup.startSpreadMs, arrive)
    }
  }
  await clock.run(setup.endMs)
  return { setup, counters, clientRequests, isolatesStarted: started, isolatesPeak: peak, events: clock.events, config, health }
}

/** With one thread: how long a timer's callback runs before the next timer released with it starts (ms, up to; uniform). */
const CALLBACK_MS = 1

/** How far apart the timers one stall released run (ms, uniform). */
const STALL_SPREAD_MS = 5

/** When a timer due at `due` ran in the runtime: the end of the latest stall it fell in, else on time. */
function stalledUntil(stalls: readonly (readonly [number, number])[], due: number): number {
  let ran = due
  for (const [from, to] of stalls) if (from <= due && due < to && to > ran) ran = to
  return ran
}

/** Spans merged where they overlap, in order. */
function union(spans: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = []
  for (const [from, to] of [...spans].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1]
    if (last && from <= last[1]) last[1] = Math.max(last[1], to)
    else out.push([from, to])
  }
  return out
}

const NO_WAIT = () => {}
const CTX = { waitUntil: NO_WAIT, passThroughOnException: NO_WAIT } as unknown as ExecutionContext
