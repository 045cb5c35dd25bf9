/**
 * The world the fleet runs in (assumptions, BENCHMARKS.md "Config and health
 * distribution"): 300 locations with Zipf(1) traffic weights, machines in
 * proportion, round trips to the Durable Objects' home and KV's central
 * store of 10–160 ms, and Cloudflare's list prices.
 */
import type { FleetResult, FleetSetup, Location } from './fleet.js'
import { BIN_MS, seeded, type Samples } from './fleet.js'

export const LOCATIONS = 300
export const MACHINES = 12_000

export function locations(seed = 7): Location[] {
  const random = seeded(seed)
  const raw = Array.from({ length: LOCATIONS }, (_, i) => 1 / (i + 1))
  const sum = raw.reduce((a, b) => a + b, 0)
  return raw.map((w, i) => ({ weight: w / sum, machines: Math.max(10, Math.round((MACHINES * w) / sum)), rttMs: i === 0 ? 5 : 10 + Math.round(150 * random()) }))
}

/** Cloudflare list prices (Workers Paid, beyond the included amounts), USD. */
export const PRICES = {
  workersRequestPerM: 0.3,
  workersCpuMsPerM: 0.02,
  kvReadPerM: 0.5,
  doRequestPerM: 0.15,
  doGbSecondPerM: 12.5,
  doMemoryGb: 0.128,
  /** D1: rows read and rows written; no charge per query, none for duration (the included 25 billion reads and 50 million writes a month ignored, like every free tier here). https://developers.cloudflare.com/d1/platform/pricing/ */
  d1RowReadPerM: 0.001,
  d1RowWrittenPerM: 1.0,
}
/** CPU a client request costs the proxy (ms), for the Workers bill of the requests themselves. */
export const CLIENT_CPU_MS = 1
/** CPU of one background operation in the isolate (a KV read and JSON parse, a poll, a cache read), ms. */
export const BACKGROUND_CPU_MS = 0.1
/** Wall time a Durable Object spends on one poll (answered from memory), ms. */
export const DO_WALL_MS = 1
/** Wall time of one alarm's check round (it awaits the hosts' answers), ms. */
export const ALARM_WALL_MS = 20
/** Wall time the hub spends awaiting one D1 write (billed as Durable Object duration), ms. */
export const D1_WRITE_WALL_MS = 10
export const MONTH_S = 30 * 24 * 3600

/**
 * Smart Placement (`[placement] mode = "smart"`, an option, not the default
 * fleet): Cloudflare runs the Worker near the backends its requests go to,
 * so a front proxy whose every request goes to the same backends runs in one
 * location (the busiest one's machines, next to the Durable Objects) instead
 * of 300. The client's request travels from its edge location to there;
 * the proxy's own fetch to the backends gets shorter by the same distance.
 * https://developers.cloudflare.com/workers/configuration/smart-placement/
 */
export function placedLocations(): Location[] {
  const all = locations()
  return [{ weight: 1, machines: all[0]!.machines, rttMs: all[0]!.rttMs }]
}

/** One operation kind's share: per second, per client request (subrequests of the isolates only), and its monthly cost. */
export interface KindCost {
  readonly kind: string
  readonly perS: number
  readonly perRequest: number
  readonly usdMonth: number
}

export interface Metrics {
  readonly label: string
  readonly design: string
  readonly rate: number
  readonly isolatesPeak: number
  readonly isolatesStarted: number
  readonly doMeanPerS: number
  readonly doPeakPerS: number
  readonly doTotalPerS: number
  readonly kvReadsPerS: number
  /** D1 queries of the isolates (one row read each) and rows the hub writes, per second. */
  readonly d1ReadsPerS: number
  readonly d1WritesPerS: number
  readonly cacheOpsPerS: number
  readonly subrequestsPerRequest: number
  /** Seconds after a change by which 50% / 99% of requests (of warm isolates) see it; the last stale one; the share of cold-start requests. */
  readonly configStalenessS: { p50: number; p99: number; max: number; coldShare: number }
  readonly healthStalenessS: { p50: number; p99: number; max: number; coldShare: number }
  readonly bill: {
    kv: number
    /** D1 rows read and written (the row design). */
    d1: number
    doRequests: number
    doDuration: number
    cpu: number
    distribution: number
    clientWorkers: number
    percentOfClient: number
    /** Of the distribution bill: reading the new config version after the window's one change (a month of windows = a change every ~67 s). */
    configChange: number
    /** The bill without it: steady state, nothing published. */
    steadyPercentOfClient: number
  }
  /** Where the subrequests and the dollars go. */
  readonly breakdown: readonly KindCost[]
  readonly events: number
}

/**
 * Delay after a change by which a fraction q of requests see it: the first
 * bin from which on every bin's fresh share is at least q.
 */
export function seenBy(b: { fresh: number[]; stale: number[] }, q: number): number {
  let at = 0
  for (let i = 0; i < b.fresh.length; i++) {
    const total = b.fresh[i]! + b.stale[i]!
    if (total > 0 && b.fresh[i]! / total < q) at = i + 1
  }
  return (at * BIN_MS) / 1000
}

function staleness(b: Samples) {
  let max = 0
  b.stale.forEach((w, i) => w > 0 && (max = ((i + 1) * BIN_MS) / 1000))
  const all = b.cold + b.fresh.reduce((a, x) => a + x, 0) + b.stale.reduce((a, x) => a + x, 0)
  return { p50: seenBy(b, 0.5), p99: seenBy(b, 0.99), max, coldShare: all ? b.cold / all : 0 }
}

export function metrics(r: FleetResult): Metrics {
  const s: FleetSetup = r.setup
  const seconds = (s.endMs - s.changeAt) / 1000
  const c = r.counters
  const perDo = [...c.perDo.values()]
  const doTotal = c.doRequests / seconds
  // The busiest object: its mean over the window, and its busiest second.
  const doMean = Math.max(0, ...perDo.map((b) => b.reduce((a, x) => a + (x ?? 0), 0) / seconds))
  const doPeak = Math.max(0, ...perDo.flatMap((b) => Array.from(b, (x) => x ?? 0)))
  const kv = (c.kvReads + c.hubKvReads) / seconds
  const cache = c.cacheOps / seconds
  const alarms = c.alarms / seconds
  const month = (perS: number, perM: number) => (perS * MONTH_S * perM) / 1e6
  const doWallS = (doTotal - alarms) * (DO_WALL_MS / 1000) + alarms * (ALARM_WALL_MS / 1000)
  // Background CPU in the isolates: their KV reads, Durable Object requests and cache operations.
  const isolateOps = (c.kvReads + c.isolateDoRequests + c.cacheOps + c.d1Queries) / seconds
  const d1WallS = (c.d1Writes / seconds) * (D1_WRITE_WALL_MS / 1000)
  const bill = {
    kv: month(kv, PRICES.kvReadPerM),
    d1: month(c.d1Reads / seconds, PRICES.d1RowReadPerM) + month(c.d1Writes / seconds, PRICES.d1RowWrittenPerM),
    doRequests: month(doTotal, PRICES.doRequestPerM),
    doDuration: month((doWallS + d1WallS) * PRICES.doMemoryGb, PRICES.doGbSecondPerM),
    cpu: month(isolateOps * BACKGROUND_CPU_MS, PRICES.workersCpuMsPerM),
    distribution: 0,
    clientWorkers: month(s.rate, PRICES.workersRequestPerM) + month(s.rate * CLIENT_CPU_MS, PRICES.workersCpuMsPerM),
    percentOfClient: 0,
    configChange: 0,
    steadyPercentOfClient: 0,
  }
  bill.distribution = bill.kv + bill.d1 + bill.doRequests + bill.doDuration + bill.cpu
  bill.percentOfClient = (100 * bill.distribution) / bill.clientWorkers
  const requests = Math.max(1, r.clientRequests)
  const breakdown = Object.entries(c.byKind)
    .map(([kind, n]) => {
      const perS = n / seconds
      const isolate = kind !== 'kv:hub' && kind !== 'do:alarm' && kind !== 'do:publish' && kind !== 'd1:write' && kind !== 'd1:config-write'
      const cpu = isolate ? month(perS * BACKGROUND_CPU_MS, PRICES.workersCpuMsPerM) : 0
      const usd = kind.startsWith('kv')
        ? month(perS, PRICES.kvReadPerM)
        : kind === 'd1:read' || kind === 'd1:config'
          ? month(perS, PRICES.d1RowReadPerM)
        : kind === 'd1:config-write'
          ? month(perS, PRICES.d1RowWrittenPerM)
        : kind === 'd1:write'
          ? month(perS, PRICES.d1RowWrittenPerM) + month(perS * (D1_WRITE_WALL_MS / 1000) * PRICES.doMemoryGb, PRICES.doGbSecondPerM)
        : kind.startsWith('do:')
          ? month(perS, PRICES.doRequestPerM) + month(perS * ((kind === 'do:alarm' ? ALARM_WALL_MS : DO_WALL_MS) / 1000) * PRICES.doMemoryGb, PRICES.doGbSecondPerM)
          : 0
      return { kind, perS, perRequest: isolate ? n / requests : 0, usdMonth: usd + cpu }
    })
    .sort((a, b) => b.usdMonth - a.usdMonth || b.perS - a.perS)
  // Reading the new version: KV, or its D1 rows (and writing them).
  bill.configChange = breakdown.filter((k) => k.kind === 'kv:new-version' || k.kind === 'd1:config' || k.kind === 'd1:config-write').reduce((a, k) => a + k.usdMonth, 0)
  bill.steadyPercentOfClient = (100 * (bill.distribution - bill.configChange)) / bill.clientWorkers
  return {
    label: s.label ?? s.design,
    design: s.design,
    rate: s.rate,
    isolatesPeak: r.isolatesPeak,
    isolatesStarted: r.isolatesStarted,
    doMeanPerS: doMean,
    doPeakPerS: doPeak,
    doTotalPerS: doTotal,
    kvReadsPerS: kv,
    d1ReadsPerS: c.d1Reads / seconds,
    d1WritesPerS: c.d1Writes / seconds,
    cacheOpsPerS: cache,
    // What the isolates ask (the authorities' alarms and publishes are no client request's subrequests; they are billed above).
    subrequestsPerRequest: (c.kvReads + c.isolateDoRequests + c.cacheOps + c.d1Queries) / requests,
    configStalenessS: staleness(r.config),
    healthStalenessS: staleness(r.health),
    bill,
    breakdown,
    events: r.events,
  }
}
