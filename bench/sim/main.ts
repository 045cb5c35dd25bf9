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
import { runFleet, type Design, type FleetSetup } from './fleet.js'
import { locations, metrics, PRICES, type Metrics } from './model.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const rates = (args.find((a) => a.startsWith('--rates='))?.slice(8).split(',').map(Number) ?? [100, 10_000, 1_000_000]).filter((n) => n > 0)
const designs: Design[] = ['direct', 'location-cache']

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
  for (const design of designs) {
    const setup: FleetSetup = { ...SCENARIO, design, rate, locations: locations(), seed: 42 }
    const started = Date.now()
    const m = metrics(await runFleet(setup))
    rows.push(m)
    console.error(`  ${design} @ ${rate} req/s: ${m.events} events in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
}

const f = (n: number, d = 1) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(d))
const usd = (n: number) => `$${n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)}`
const lines = [
  ['req/s', 'design', 'isolates', 'busiest DO req/s', 'its peak', 'KV reads/s', 'subreq/req', 'config p50/p99 s', 'health p50/p99 s', 'distribution $/mo', 'client Workers $/mo', '%'],
  ...rows.map((m) => [
    m.rate.toLocaleString('en-US'),
    m.design,
    m.isolatesPeak.toLocaleString('en-US'),
    f(m.doMeanPerS),
    f(m.doPeakPerS, 0),
    f(m.kvReadsPerS),
    f(m.subrequestsPerRequest, 3),
    `${m.configStalenessS.p50}/${m.configStalenessS.p99}`,
    `${m.healthStalenessS.p50}/${m.healthStalenessS.p99}`,
    usd(m.bill.distribution),
    usd(m.bill.clientWorkers),
    `${m.bill.percentOfClient.toFixed(2)}%`,
  ]),
]
const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)))
console.log(`\nConfig and health distribution — ${SCENARIO.clusters} health-checked clusters at ${SCENARIO.intervalMs / 1000} s, config refresh ${SCENARIO.refreshSeconds} s (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`)
for (const l of lines) console.log(l.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
console.log('\nDO: requests/s onto the busiest Durable Object (a cluster authority or the hub): its mean, and its busiest second. Staleness: seconds after a change by which 50%/99% of requests see it.')

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'sim.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), scenario: SCENARIO, prices: PRICES, rows }, null, 2) + '\n')
console.log(`\nwrote ${out}`)
