/**
 * The simulation (bench/sim) checked against the runtime: several isolates
 * (Workers running the same script in one Miniflare, sharing one KV namespace,
 * the health Durable Objects and the Cache API — one "location") with real
 * upstreams on 127.0.0.1, driven at a steady rate for a bounded time. What
 * their isolates ask of KV and the Durable Objects is counted (a counting
 * entry around the Worker, test/support/counting-entry.mjs) and compared with
 * what the simulation — running the same refresh and poller code — predicts
 * for the same setup: within 10% (issue 18's bound), or where one run's count
 * cannot be held to that, within three of its measured spread (`allowed`). The
 * model runs the location on one thread as workerd does (bench/sim/events.ts
 * Thread: timers wait while a cache, Durable Object or D1 operation is in
 * flight; timers due together run together). Three designs: the direct one
 * (EDGEVOY_DISTRIBUTION=direct), the location's shared look at the health
 * hub (location-hub, the default), and that look reading the hub's D1 row
 * (location-d1: the EDGEVOY_DB binding, real local D1).
 */
import { build, stop } from 'esbuild'
import { Miniflare } from 'miniflare'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runFleet, type Design } from '../../bench/sim/fleet'
import { ROOT, WORKER_BUILD_OPTIONS } from '../../src/cli/bundle'
import { bootstrap } from '../support/envoy-config'

const ISOLATES = 3
const CLUSTERS = 3
/**
 * The health-check interval, the requests/s at each isolate and the counted window, by design. The shared
 * look happens about once per 1.6 intervals per location (health/cached.ts HUB_AGE_PERIODS × the poller's
 * period of half an interval, less the early looks of hub-look.ts JITTER_SHARE): at 0.5 s a 15 s window
 * counts only ~25 looks, whose count alone varies by ~9% (sd) run to run — too few for 10%. At 0.2 s
 * over 50 s it counts ~180, whose count varies by ~3–5% (the model's own sd over its seeds; over 25 s,
 * ~95 looks, 5–7%: a strict 10% would fail on chance alone about one run in ten). (At 0.1 s a loaded
 * machine could not keep the 20 req/s that needs, and stalls of tens of ms are most of a 160 ms look
 * period.) The rate keeps a request per poll period at each isolate.
 */
const SETUP: Record<Design, { intervalMs: number; rate: number; durationMs: number }> = {
  direct: { intervalMs: 500, rate: 10, durationMs: 15_000 },
  'location-hub': { intervalMs: 200, rate: 10, durationMs: 50_000 },
  'location-d1': { intervalMs: 200, rate: 10, durationMs: 50_000 },
}
const REFRESH_S = 1
/** Counting starts this long after every isolate has answered a request to every cluster: they have started, loaded their config and registered the clusters (a cold start is not what the model is for). */
const WARM_MS = 2000
/** Timer lateness from this on may be a stall of the whole process (an OS time slice on a loaded machine): replayed as one where the traces show nothing else ran meanwhile (`processStalls`), else sampled as that timer's own lateness. */
const STALL_MS = 10
/** When the runtime did something, in every isolate's trace (sorted, ms): a timer run, a cache operation's start and end, a look. */
const eventTimes = (traces: unknown[][][]): number[] =>
  traces
    .flat()
    .flatMap((e) => (e[0] === 'timer' ? [e[2] as number] : e[0] === 'match' || e[0] === 'put' ? [e[1] as number, e[2] as number] : [e[1] as number]))
    .sort((a, b) => a - b)

/**
 * The late timers' spans ([due, ran]) that were stalls of the process: the runtime did nothing inside them
 * — no timer run, no cache operation begun or ended, no look, in any isolate (`traces`). workerd runs every
 * isolate, the cache and the Durable Objects on one thread, so a stall of it stops all of these; a timer
 * late while the thread ran other work was late on its own (its isolate's turn came later), and replaying
 * it as a stall would hold every isolate's timers to its end and release them together — the model then
 * had two isolates look at once where the runtime had one look: on a loaded run of 2026-12-01 04:50 UTC
 * (timers 7.2 ms late on average, location-hub 174 vs 203.7, −14.6%) the model's other isolates woke
 * within 1 ms of a look 105 times per seed, the runtime's 45 times; with only these spans replayed, 67.
 */
function processStalls(spans: [number, number][], traces: unknown[][][]): [number, number][] {
  const times = eventTimes(traces)
  // The first event after `t` (binary search).
  const after = (t: number) => {
    let lo = 0
    let hi = times.length
    while (lo < hi) {
      const m = (lo + hi) >> 1
      if (times[m]! <= t) lo = m + 1
      else hi = m
    }
    return times[lo]
  }
  // Strictly inside, by more than a millisecond: the timer's own run and what it released at the end are not "inside".
  return spans.filter(([due, ran]) => !((after(due + 1) ?? Number.POSITIVE_INFINITY) < ran - 1))
}

/** The model runs this many times (seeds) for one prediction: its mean then errs by ~1% (one seed's sd / √40), its part of the spread compared (`SPREAD`); ~0.1 s a seed. */
const MODEL_SEEDS = 40

let hosts: Server[] = []
let ports: number[] = []
let bundle = ''

const config = (intervalMs: number) =>
  JSON.stringify(
    bootstrap({
      listener: { name: 'edge' },
      hcm: { stat_prefix: 'edge' },
      virtual_hosts: [{ name: 'all', domains: ['*'], routes: ports.map((_, i) => ({ match: { prefix: `/c${i}` }, route: { cluster: `c${i}` } })) }],
      clusters: Object.fromEntries(
        ports.map((port, i) => [
          `c${i}`,
          { endpoints: [port], health_checks: [{ timeout: '0.5s', interval: `${intervalMs / 1000}s`, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/healthz' } }] },
        ]),
      ),
    }),
  )

beforeAll(async () => {
  hosts = await Promise.all(
    Array.from({ length: CLUSTERS }, () => {
      const s = createServer((_req, res) => res.end('ok'))
      return new Promise<Server>((r) => s.listen(0, '127.0.0.1', () => r(s)))
    }),
  )
  ports = hosts.map((h) => (h.address() as { port: number }).port)
  const out = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [join(ROOT, 'src/index.ts')] })
  await stop()
  bundle = out.outputFiles[0]!.text
})

afterAll(async () => {
  await Promise.all(hosts.map((h) => new Promise((r) => (h.closeAllConnections(), h.close(r)))))
})

/** Runs the isolates for the design's window at its rate each and returns what they asked of KV and the Durable Objects. */
async function runtime(design: Design) {
  const { intervalMs, rate: RATE, durationMs } = SETUP[design]
  const names = Array.from({ length: ISOLATES }, (_, i) => `iso${i}`)
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    cf: false,
    workers: names.map((name, i) => ({
      name,
      modulesRoot: '/edgevoy-sim',
      modules: [
        { type: 'ESModule' as const, path: '/edgevoy-sim/entry.mjs', contents: readFileSync(join(ROOT, 'test/support/counting-entry.mjs'), 'utf8') },
        { type: 'ESModule' as const, path: '/edgevoy-sim/worker.mjs', contents: bundle },
      ],
      compatibilityDate: '2026-04-01',
      bindings: { EDGEVOY_CONFIG: config(intervalMs), CONFIG_REFRESH_SECONDS: String(REFRESH_S), ...(design === 'direct' ? { EDGEVOY_DISTRIBUTION: 'direct' } : {}) },
      // One KV namespace, one D1 database and one set of health Durable Objects (defined by the first Worker) for all.
      kvNamespaces: { CONFIG: 'sim-config' },
      ...(design === 'location-d1' ? { d1Databases: { EDGEVOY_DB: 'sim-db' } } : {}),
      durableObjects: { HEALTH: i === 0 ? { className: 'HealthAuthority', useSQLite: true } : { className: 'HealthAuthority', scriptName: names[0], useSQLite: true } },
    })),
  })
  try {
    const workers = await Promise.all(names.map((n) => mf.getWorker(n)))
    const started = Date.now()
    let sent = 0
    const answered = workers.map(() => 0)
    let countingUntil = Number.POSITIVE_INFINITY
    // Counting starts WARM_MS after every isolate has answered a request to every cluster: on a loaded
    // machine a cold start (module, config, first registrations) can outlast a fixed warm-up.
    const reset = (async () => {
      while (answered.some((a) => a < CLUSTERS)) await new Promise((r) => setTimeout(r, 20))
      await new Promise((r) => setTimeout(r, WARM_MS))
      await Promise.all(workers.map(async (w) => (await w.fetch('http://edge.test/__counts', { method: 'POST' })).arrayBuffer()))
      countingUntil = Date.now() + durationMs
    })()
    // Evenly spaced requests at each isolate, each to the next cluster in turn; failures are the test's failure.
    await Promise.all(
      workers.map(async (w, k) => {
        for (let n = 0; Date.now() < countingUntil; n++) {
          const due = started + (k * 1000) / RATE / ISOLATES + (n * 1000) / RATE
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
          const res = await w.fetch(`http://edge.test/c${(n + k) % CLUSTERS}/x`)
          expect(res.status).toBe(200)
          await res.arrayBuffer()
          answered[k]!++
          sent++
        }
      }),
    )
    await reset
    const counts = await Promise.all(
      workers.map(async (w) => (await (await w.fetch('http://edge.test/__counts')).json()) as { kvReads: number; doRequests: number; doMs: number; d1Queries: number; d1Ms: number; d1Times: number[]; timers: number; timerLateMs: number; late: number[]; cacheOps: number; cacheMs: number; cacheTimes: number[]; cachePutTimes: number[]; cacheSpans: [number, number][]; looks: number[]; arrived: number[]; fired: [number, number][]; trace: unknown[][]; from: number; at: number; byMethod: Record<string, number> }),
    )
    // The window each isolate counted over, and when it really got each request (its clock): a loaded
    // machine delays both past what the client did — most at an isolate's cold start — and the model replays these.
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length
    const countFrom = mean(counts.map((c) => c.from)) - started
    const elapsed = mean(counts.map((c) => c.at)) - started
    const arrivals = counts.map((c) => c.arrived.map((t) => t - started))
    // Each isolate's trace (timers, cache operations, looks: counting-entry.mjs), times since the start.
    const traces = counts.map((c) => c.trace.map((e) => e.map((x) => (typeof x === 'number' && x > 1e12 ? x - started : x))))
    // A timer STALL_MS or more late: [due, ran]. Replayed as a stall of the process (every isolate's timers due
    // in it run at its end) only where the runtime did nothing else meanwhile (`processStalls`).
    const lateSpans = counts.flatMap((c) => c.fired.filter(([due, ran]) => ran - due >= STALL_MS).map(([due, ran]) => [due - started, ran - started] as [number, number]))
    const stalls = processStalls(lateSpans, traces)
    // A timer STALL_MS or more late that was not a stall of the process was late on its own — the thread
    // ran other work meanwhile (other isolates' looks, requests, the hub's alarm) — and is sampled with the
    // others' lateness. Left out (from 07d44a6 until 2026-12-01 12:00: neither replayed nor sampled), a loaded
    // run's model had its timers on time where the runtime's were 10–50 ms late and released together,
    // and looked ~5% less often than the runtime (BENCHMARKS.md "Issue 18: sim-vs-runtime in CI").
    const replayed = new Set(stalls)
    const ownLate = lateSpans.filter((s) => !replayed.has(s)).map(([due, ran]) => ran - due)
    // A cache operation STALL_MS or more long: the cache (one Durable Object serving every isolate in turn)
    // was held up, and every isolate's operation made then waited for it (the model replays these spans).
    const cacheBusy = counts.flatMap((c) => c.cacheSpans.filter(([from, to]) => to - from >= STALL_MS).map(([from, to]) => [from - started, to - started] as [number, number]))
    const timerLateMs = counts.reduce((a, c) => a + c.timerLateMs, 0) / Math.max(1, counts.reduce((a, c) => a + c.timers, 0))
    const doRequests = counts.reduce((a, c) => a + c.doRequests, 0)
    const doMs = counts.reduce((a, c) => a + c.doMs, 0) / Math.max(1, doRequests)
    const d1Queries = counts.reduce((a, c) => a + c.d1Queries, 0)
    const d1Ms = counts.reduce((a, c) => a + c.d1Ms, 0) / Math.max(1, d1Queries)
    const cacheOps = counts.reduce((a, c) => a + c.cacheOps, 0)
    const cacheMs = counts.reduce((a, c) => a + c.cacheMs, 0) / Math.max(1, cacheOps)
    return { elapsed, countFrom, sent, arrivals, stalls, lateSpans: lateSpans.length, doMs, d1Queries, d1Ms, d1Times: counts.flatMap((c) => c.d1Times), cacheMs, cacheOps, timerLateMs, late: [...counts.flatMap((c) => c.late).filter((l) => l < STALL_MS), ...ownLate], cacheTimes: counts.flatMap((c) => c.cacheTimes).filter((t) => t < STALL_MS), cachePutTimes: counts.flatMap((c) => c.cachePutTimes).filter((t) => t < STALL_MS), cacheBusy, kvReads: counts.reduce((a, c) => a + c.kvReads, 0), doRequests, looks: counts.flatMap((c) => c.looks.map((t) => t - started)).sort((a, b) => a - b), byMethod: counts.map((c) => c.byMethod), traces }
  } finally {
    await mf.dispose()
  }
}

/** The same isolates, request times, Durable Object and cache round trips and timer lateness in the simulation. */
async function modelRun(seed: number, design: Design, countFrom: number, durationMs: number, arrivals: number[][], rttMs: number, cacheTimes: number[], cachePutTimes: number[], cacheBusy: [number, number][], stalls: [number, number][], timerLate: number[], d1Times: number[] = []) {
  const { intervalMs, rate: RATE } = SETUP[design]
  const r = await runFleet({
    design,
    rate: ISOLATES * RATE,
    clusters: CLUSTERS,
    intervalMs,
    refreshSeconds: REFRESH_S,
    locations: [{ weight: 1, machines: ISOLATES, rttMs }],
    perIsolateRps: RATE,
    idleEvictMs: Number.POSITIVE_INFINITY,
    lifetimeMs: Number.POSITIVE_INFINITY,
    tickRps: RATE,
    startSpreadMs: 0,
    changeAt: countFrom,
    endMs: durationMs,
    seed,
    arrivals,
    stalls,
    timerLate,
    cacheTimes,
    cachePutTimes,
    cacheBusy,
    d1Times,
    coldAuthorities: true,
    nothingPublished: true,
    oneThread: true,
  })
  return { looks: r.counters.looks, kvReads: r.counters.kvReads, doRequests: r.counters.isolateDoRequests, d1Queries: r.counters.d1Queries, cacheOps: r.counters.cacheOps, byMethod: r.counters.byMethod }
}

/**
 * The model's expectation: the mean over MODEL_SEEDS runs. How many looks reach the origin depends on how
 * the isolates' poll loops fall against each other and on their random early looks (hub-look.ts
 * JITTER_SHARE): one run of the model varies by ~4–6% (sd) over the shared look's 50 s (~9% over 15 s).
 */
async function model(...args: Parameters<typeof modelRun> extends [number, ...infer R] ? R : never) {
  const runs: Awaited<ReturnType<typeof modelRun>>[] = []
  for (let seed = 1; seed <= MODEL_SEEDS; seed++) runs.push(await modelRun(seed, ...args))
  const mean = (f: (r: (typeof runs)[number]) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length
  // One run's spread around that mean (sample sd over the seeds): what one runtime run may differ by for
  // the same reason, before any error of the model.
  const sd = (f: (r: (typeof runs)[number]) => number) => {
    const m = mean(f)
    return Math.sqrt(runs.reduce((a, r) => a + (f(r) - m) ** 2, 0) / (runs.length - 1))
  }
  return {
    looks: runs[0]!.looks,
    kvReads: mean((r) => r.kvReads),
    doRequests: mean((r) => r.doRequests),
    d1Queries: mean((r) => r.d1Queries),
    cacheOps: mean((r) => r.cacheOps),
    spread: { doRequests: sd((r) => r.doRequests), d1Queries: sd((r) => r.d1Queries) },
    byMethod: runs[0]!.byMethod,
  }
}

/** How far apart consecutive looks at the origin were, by 100 ms: where the runtime and the model differ. */
const gaps = (looks: number[]) => {
  const h: Record<number, number> = {}
  for (let i = 1; i < looks.length; i++) h[Math.floor((looks[i]! - looks[i - 1]!) / 100) * 100] = (h[Math.floor((looks[i]! - looks[i - 1]!) / 100) * 100] ?? 0) + 1
  return JSON.stringify(h)
}

/** Looks more than a second apart ([from, to] ms since the start): where a stall, real or replayed, stopped them. */
const pauses = (looks: number[]) => JSON.stringify(looks.slice(1).flatMap((t, i) => (t - looks[i]! > 1000 ? [[Math.round(looks[i]!), Math.round(t)]] : [])))

/**
 * The replayed slow spans of half a second or more ([from, to, what the runtime's traces show starting
 * inside it]): a stall of the process shows nothing inside; a span with timers run, cache operations or
 * looks inside it was not one, yet the model holds the location's thread and cache for all of it.
 */
const longSpans = (spans: [number, number][], traces: unknown[][][]) => {
  const times = eventTimes(traces)
  return JSON.stringify(spans.filter(([a, b]) => b - a >= 500).map(([a, b]) => [a, b, times.filter((t) => t > a + 1 && t < b - 1).length]))
}

/**
 * A run whose timers ran STALLED_LATE_MS or more late on average is not compared: the machine did not
 * run the timers it was asked to run, so the run measures the machine, not the model. Normal runs are
 * 1–4 ms late (up to ~8 ms two at a time or beside a CPU burner); a CI run at 16.6 ms once gave
 * location-d1 +13.8%. Such a run is set aside and the runtime measured again, up to RUNS runs of the
 * design; if every one stalled the test fails, naming the lateness (BENCHMARKS.md "A stalled run",
 * "Stalled runs measured again").
 */
const STALLED_LATE_MS = 10
/** Runs of a design's runtime, at most: the first and two more if the machine stalled (so the file stays bounded: ~130 s, at worst ~6 min). */
const RUNS = 3

/**
 * How far a count may be from the model's mean. Issue 18's bound is 10%, and it is kept where one run
 * can be held to it: the direct design's ~540 polls and ~43 KV reads (one run within ~1%). The shared
 * look's count is not: it is one sample of a chaotic count (how the isolates' poll loops fall against
 * each other, their random early looks), and over 25 runs of this file (2026-12-01: 5 CI runs and 20
 * on the shared machine, quiet to loaded, timers 0.9–9.8 ms late; BENCHMARKS.md "Issue 18:
 * sim-vs-runtime in CI") one run's count was this far from the model's mean (root mean square of
 * (runtime − model) / model, bias included): location-hub 6.5% (mean +0.3%, sd 6.6%, −11.3..+13.1%),
 * location-d1 4.0% (the model ~2.3% high: 19 of 25 runs below it; sd 3.3%), the two summed 3.9% (mean
 * −1.0%, sd 3.9%). With those a strict 10% fails a right model about one run in eight (location-hub).
 * So each count is held within max(10%, Z × its SPREAD), the SPREADs set a little above those measured.
 * Z = 3: from the measured means and sds (normal tails) a right model fails location-hub ~0.15% of
 * runs, the sum ~0.07%, location-d1 ~0.04% — the file ~0.25%, about one run in 400; 25 runs measure a
 * spread only to ~±20%, and with spreads 20% wider than measured it is ~1.5%. The tight checks are
 * location-d1 and the sum of the two shared-look designs (~370 looks), each ±13.5%: a model 20% off
 * for the shared look is ~5 of their sd away — on the 25 runs' numbers a model ×1.2 or ×0.8 fails 25
 * of 25, and runs of the file with the model so perturbed failed (BENCHMARKS.md). A model that ignores
 * the shared look (every isolate asking the origin) is off by ~2× and fails every check.
 */
const SPREAD = { 'location-hub': 0.07, 'location-d1': 0.045, both: 0.045 }
const Z = 3
/** 10% (issue 18), or Z of the measured spread where one run's count cannot be held to 10%; at least 2 (a count of ~20). */
const allowed = (mean: number, spread = 0) => Math.max(2, Math.max(0.1, Z * spread) * mean)

/** The runtime's run of a design that the machine did not stall, measured again (at most RUNS runs) while it did. */
async function unstalled(design: Design) {
  const late: string[] = []
  for (let run = 1; run <= RUNS; run++) {
    const real = await runtime(design)
    if (real.timerLateMs < STALLED_LATE_MS) return real
    late.push(real.timerLateMs.toFixed(1))
    if (process.env.SIM_DUMP) writeFileSync(`${process.env.SIM_DUMP}-${design}-stalled-${Date.now()}.json`, JSON.stringify({ design, real }))
    console.log(`sim-vs-runtime ${design}: run ${run} not compared — its timers ran ${late.at(-1)} ms late on average (>= ${STALLED_LATE_MS} ms: the machine stalled the runtime)${run < RUNS ? '; measuring again' : ''}`)
  }
  throw new Error(`sim-vs-runtime ${design}: every one of ${RUNS} runtime runs stalled (timers ${late.join(', ')} ms late on average, >= ${STALLED_LATE_MS} ms): the machine is too loaded to compare the model with`)
}

const fileStarted = Date.now()
afterAll(() => console.log(`sim-vs-runtime: the file took ${((Date.now() - fileStarted) / 1000).toFixed(0)} s`))

/** The shared look's counts, runtime and model mean, of the designs run so far: held together at the end. */
const shared: Partial<Record<Design, { real: number; model: number }>> = {}
/** The designs whose test ran (`-t` may leave some out). */
const begun = new Set<Design>()
const within = (design: Design) => (design === 'direct' ? 'within 10%' : `within ${+(100 * Math.max(0.1, Z * SPREAD[design])).toFixed(1)}% (${Z} × one run's measured spread)`)

describe('the simulation predicts what the runtime does', () => {
  for (const design of ['direct', 'location-hub', 'location-d1'] as const) {
    it(`${design}: KV reads and Durable Object requests of ${ISOLATES} isolates over ${SETUP[design].durationMs / 1000} s, ${within(design)}`, async () => {
      begun.add(design)
      const real = await unstalled(design)
      // The model runs as long as the runtime really did (a loaded machine stretches the run a little).
      // The round trip the looks took: to the hub, or (location-d1) to D1.
      const rttMs = design === 'location-d1' ? real.d1Ms : real.doMs
      const predicted = await model(design, real.countFrom, real.elapsed, real.arrivals, rttMs, real.cacheTimes, real.cachePutTimes, real.cacheBusy, real.stalls, real.late, real.d1Times)
      // SIM_DUMP=PREFIX: write the runtime's measured inputs (what the model replays) and each isolate's trace
      // (timers, cache operations, looks: counting-entry.mjs) to PREFIX-DESIGN-TIME.json, to replay and compare offline.
      if (process.env.SIM_DUMP) writeFileSync(`${process.env.SIM_DUMP}-${design}-${Date.now()}.json`, JSON.stringify({ design, real }))
      const { arrivals: _, stalls: _s, late: __, cacheTimes: ___, cachePutTimes: _pt, cacheBusy: _b, d1Times: ____, looks: realLooks, traces: _tr, ...shown } = real
      const { looks: modelLooks, ...said } = predicted
      const pct = (a: number, b: number) => `${((100 * (a - b)) / b).toFixed(1)}%`
      console.log(`sim-vs-runtime ${design} %: ${design === 'location-d1' ? `d1 ${real.d1Queries} vs ${predicted.d1Queries.toFixed(1)} (${pct(real.d1Queries, predicted.d1Queries)})` : `do ${real.doRequests} vs ${predicted.doRequests.toFixed(1)} (${pct(real.doRequests, predicted.doRequests)})`}${design === 'direct' ? `, kv ${real.kvReads} vs ${predicted.kvReads.toFixed(1)}` : ''}; model sd ${(design === 'location-d1' ? predicted.spread.d1Queries : predicted.spread.doRequests).toFixed(1)}; allowed ±${(100 * Math.max(0.1, Z * (design === 'direct' ? 0 : SPREAD[design]))).toFixed(1)}%; timers ${real.timerLateMs.toFixed(1)} ms late on average, ${real.stalls.length} of ${real.lateSpans} late ones replayed as stalls`)
      console.log(`sim-vs-runtime ${design}: runtime ${JSON.stringify(shown)}; model ${JSON.stringify(said)}; gaps between looks (ms, by 100) runtime ${gaps(realLooks)} model ${gaps(modelLooks)}`)
      console.log(`sim-vs-runtime ${design}: looks > 1 s apart runtime ${pauses(realLooks)} model (seed 1) ${pauses(modelLooks)}; replayed spans >= 0.5 s [from, to, runtime events inside] stalls ${longSpans(real.stalls, real.traces as unknown[][][])} cache ${longSpans(real.cacheBusy, real.traces as unknown[][][])}`)
      if (design !== 'direct') shared[design] = design === 'location-d1' ? { real: real.d1Queries, model: predicted.d1Queries } : { real: real.doRequests, model: predicted.doRequests }
      // Traffic kept every loop alive (at least a request per poll period at each isolate).
      expect(real.sent).toBeGreaterThan(ISOLATES * (SETUP[design].durationMs / SETUP[design].intervalMs) * 2)
      expect(Math.abs(real.doRequests - predicted.doRequests)).toBeLessThanOrEqual(allowed(predicted.doRequests, design === 'location-hub' ? SPREAD[design] : 0))
      if (design === 'location-d1') {
        // Every look read the hub's row (the row live): no look asked the hub, in the runtime as in the model.
        expect(predicted.d1Queries).toBeGreaterThan(0)
        expect(real.byMethod.reduce((a, m) => a + (m.digest ?? 0), 0)).toBe(0)
        // The looks read D1 instead, held as location-hub's digests are (its own measured spread).
        expect(Math.abs(real.d1Queries - predicted.d1Queries)).toBeLessThanOrEqual(allowed(predicted.d1Queries, SPREAD[design]))
      }
      if (design === 'direct') expect(Math.abs(real.kvReads - predicted.kvReads)).toBeLessThanOrEqual(Math.max(1, 0.1 * predicted.kvReads))
      else {
        // The hub's answer carries the config version: KV is read only for a version newer than
        // the isolate's — none here, nothing is published.
        expect(real.kvReads).toBe(0)
        expect(predicted.kvReads).toBe(0)
      }
    }, RUNS * (SETUP[design].durationMs + 20_000) + 30_000)
  }

  it(`location-hub and location-d1 together: the shared look's requests to the origin summed, within ${+(100 * Math.max(0.1, Z * SPREAD.both)).toFixed(1)}% (${Z} × the sum's measured spread)`, (ctx) => {
    if (!begun.has('location-hub') || !begun.has('location-d1')) return ctx.skip()
    const hub = shared['location-hub']
    const d1 = shared['location-d1']
    if (!hub || !d1) throw new Error('sim-vs-runtime: a shared-look design was not compared (its test above failed before counting)')
    const real = hub.real + d1.real
    const model = hub.model + d1.model
    console.log(`sim-vs-runtime both %: ${real} vs ${model.toFixed(1)} (${((100 * (real - model)) / model).toFixed(1)}%; allowed ±${(100 * Math.max(0.1, Z * SPREAD.both)).toFixed(1)}%)`)
    expect(Math.abs(real - model)).toBeLessThanOrEqual(allowed(model, SPREAD.both))
  })
})
