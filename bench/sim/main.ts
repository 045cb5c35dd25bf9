/**
 * `npm run sim`: what distributing config versions and health reports costs
 * a fleet of isolates, today's design ("direct") beside the location cache,
 * at 100, 10,000 and 1,000,000 client requests/s with 20 health-checked
 * clusters at a 5 s interval. Prints a table and writes bench/results/sim.json.
 * Flags: --quick (shorter runs), --rates=100,10000
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runFleet, type FleetSetup } from './fleet.js'
import { locations, metrics, placedLocations, PRICES, type Metrics } from './model.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const rates = (args.find((a) => a.startsWith('--rates='))?.slice(8).split(',').map(Number) ?? [100, 10_000, 1_000_000]).filter((n) => n > 0)
/**
 * Rows per rate: the direct design (EDGEVOY_DISTRIBUTION=direct), the default
 * (location-hub), and, at the two lower rates where the bill is made of fixed
 * costs, two rows of their own — the default with one authority object per
 * cluster (how checks ran before: the lever's worth) and the default under
 * Smart Placement (a deployment option: the fleet runs in one location).
 */
type Variant = Pick<FleetSetup, 'design'> & Partial<Pick<FleetSetup, 'perClusterAuthorities' | 'label' | 'locations'>> & { upTo?: number }
const variants: Variant[] = [
  { design: 'direct' },
  { design: 'location-hub' },
  { design: 'location-d1' },
  { design: 'location-hub', perClusterAuthorities: true, label: 'what-if: per-cluster authorities', upTo: 10_000 },
  { design: 'location-hub', locations: placedLocations(), label: 'option: smart placement', upTo: 10_000 },
]

export const SCENARIO = {
  clusters: 20,
  intervalMs: 5000,
  refreshSeconds: 5,
  perIsolateRps: 200,
  idleEvictMs: 30_000,
  lifetimeMs: 15 * 60_000,
  tickRps: 3,
  startSpreadMs: 10_000,
  changeAt: 15_000,
  /** KV's 60 s + the refresh interval, and room: config must have reached everyone before the end. */
  endMs: quick ? 50_000 : 82_000,
}

const rows: Metrics[] = []
const t0 = Date.now()
for (const rate of rates) {
  for (const { upTo, ...v } of variants) {
    if (upTo !== undefined && rate > upTo) continue
    const setup: FleetSetup = { ...SCENARIO, locations: locations(), ...v, rate, seed: 42 }
    const started = Date.now()
    const m = metrics(await runFleet(setup))
    rows.push(m)
    console.error(`  ${m.label} @ ${rate} req/s: ${m.events} events in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
}

const f = (n: number, d = 1) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(d))
const usd = (n: number) => `$${n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)}`
const lines = [
  ['req/s', 'design', 'isolates', 'busiest DO req/s', 'its peak', 'KV reads/s', 'D1 rows read/written /s', 'subreq/req', 'config p50/p99 s', 'health p50/p99 s', 'distribution $/mo', 'client Workers $/mo', '%', 'steady %'],
  ...rows.map((m) => [
    m.rate.toLocaleString('en-US'),
    m.label,
    m.isolatesPeak.toLocaleString('en-US'),
    f(m.doMeanPerS),
    f(m.doPeakPerS, 0),
    f(m.kvReadsPerS),
    m.design === 'location-d1' ? `${f(m.d1ReadsPerS)}/${f(m.d1WritesPerS, 2)}` : '-',
    f(m.subrequestsPerRequest, 3),
    `${m.configStalenessS.p50}/${m.configStalenessS.p99}`,
    `${m.healthStalenessS.p50}/${m.healthStalenessS.p99}`,
    usd(m.bill.distribution),
    usd(m.bill.clientWorkers),
    `${m.bill.percentOfClient.toFixed(2)}%`,
    `${m.bill.steadyPercentOfClient.toFixed(2)}%`,
  ]),
]
const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)))
console.log(`\nConfig and health distribution — ${SCENARIO.clusters} health-checked clusters at ${SCENARIO.intervalMs / 1000} s, config refresh ${SCENARIO.refreshSeconds} s (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`)
for (const l of lines) console.log(l.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
console.log('\nDO: requests/s onto the busiest Durable Object (the hub; per-cluster objects in the what-if row): its mean, and its busiest second. Staleness: seconds after a change by which 50%/99% of requests see it. %: of the client requests\' Workers bill, as measured (the window holds one config change: a month of windows is a change every ~67 s); steady %: without reading the new version (kv:new-version in the breakdown).')

// Where the subrequests and the dollars go, at the lowest rate (where the goals are hardest).
const low = Math.min(...rows.map((m) => m.rate))
for (const m of rows.filter((r) => r.rate === low)) {
  console.log(`\n${m.label} @ ${m.rate} req/s — ${usd(m.bill.distribution)}/mo, ${m.subrequestsPerRequest.toFixed(3)} subrequests per client request:`)
  for (const k of m.breakdown) console.log(`  ${k.kind.padEnd(14)} ${f(k.perS, 2).padStart(8)}/s  ${k.perRequest.toFixed(3).padStart(6)}/req  ${usd(k.usdMonth).padStart(8)}/mo`)
}

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'sim.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), scenario: SCENARIO, prices: PRICES, rows }, null, 2) + '\n')
console.log(`\nwrote ${out}`)
