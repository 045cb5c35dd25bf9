/**
 * `npm run bench`: every figure beside its baseline and goal, in one run.
 * Sections run in a fixed order, each bounded in time; compile and memory
 * run in fresh child processes so they see a cold isolate. Results go to
 * stdout as a table and to bench/results/latest.json.
 */
import { execFileSync } from 'node:child_process'
import { cpus } from 'node:os'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundle, ROOT, TMP } from './bundle.js'
import { buildBase } from './built.js'
import { generateConfig } from './gen-config.js'
import { measureBundle, measureEval } from './coldstart.js'
import { buildSegmentIndex } from './proto-segment-index.js'
import { printReport } from './report.js'
import { median } from './stats.js'
import { measureRegex } from './regex.js'
import { DEFAULT_IMPLS, ROUTE_COUNTS, routingSlopes, runRoutingCase, withBacktrackingRegex, type RoutingCase } from './routing.js'
import { buildRouteIndex, linearIndex } from '../src/router/route-index.js'
import { runRuntime, type RuntimeResult } from './runtime.js'

const quick = process.argv.includes('--quick')
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',')
const wants = (s: string) => !only || only.includes(s)
const log = (s: string) => process.stderr.write(`bench: ${s}\n`)

function child(script: string, flags: string[] = [], args: string[] = []): unknown {
  const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', join(ROOT, 'bench', script), ...args], { cwd: ROOT, timeout: 240_000, maxBuffer: 16 << 20 })
  return JSON.parse(out.toString())
}

/** The serialized snapshots of the seed and the 10k-route config, compiled here so the loading process never runs the compiler. */
function snapshotFiles(): string[] {
  const seed = buildBase(readFileSync(join(ROOT, 'routes/front-envoy.yaml'), 'utf8'))
  const big = buildBase(generateConfig(10000, { clusters: 1000, withRetries: true }).text)
  const files = [join(TMP, 'seed.snapshot.json'), join(TMP, 'big.snapshot.json')]
  writeFileSync(files[0]!, seed.snapshot)
  writeFileSync(files[1]!, big.snapshot)
  return files
}

interface LoadRun {
  seed: { cold: { totalMs: number }; warmMs: number }
  large: { cold: { totalMs: number }; peakMiB: number; retainedMiB: number }
}

/**
 * A first run is one sample of a noisy machine (the seed's has read 1.9–3.9 ms
 * on the same tree within a minute): each figure is the median of `n` fresh
 * processes, and `runs` keeps every process's first runs for the report.
 * Heap figures take the largest seen.
 */
async function loadRuns(n: number): Promise<unknown> {
  const files = snapshotFiles()
  const loader = await bundle(join(ROOT, 'bench/load-entry.ts'), 'load-entry')
  const runs = Array.from({ length: n }, () => child('load-child.ts', ['--expose-gc'], [...files, loader.path]) as LoadRun)
  // The whole run whose figure is the median, so its phases (load + index) stay together.
  const medianRun = (f: (r: LoadRun) => number) => runs.slice().sort((a, b) => f(a) - f(b))[Math.floor(n / 2)]!
  const seedRun = medianRun((r) => r.seed.cold.totalMs)
  const largeRun = medianRun((r) => r.large.cold.totalMs)
  return {
    ...largeRun,
    seed: { ...seedRun.seed, warmMs: median(runs.map((r) => r.seed.warmMs)) },
    large: { ...largeRun.large, peakMiB: Math.max(...runs.map((r) => r.large.peakMiB)), retainedMiB: Math.max(...runs.map((r) => r.large.retainedMiB)) },
    runs: runs.map((r) => ({ seedColdMs: r.seed.cold.totalMs, largeColdMs: r.large.cold.totalMs })),
  }
}

async function section<T>(name: string, f: () => T | Promise<T>): Promise<T | { error: string }> {
  const t = performance.now()
  log(`${name}…`)
  try {
    const r = await f()
    log(`${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    return r
  } catch (e) {
    log(`${name} FAILED: ${(e as Error).message}`)
    return { error: (e as Error).message.split('\n').slice(0, 4).join(' ') }
  }
}

const started = performance.now()
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadavg: (await import('node:os')).loadavg(),
  },
}

if (wants('bundle')) results.bundle = await section('bundle size', measureBundle)
if (wants('eval')) results.eval = await section('module evaluation', () => measureEval(quick ? 3 : 7))
if (wants('compile')) results.compile = await section('config compile (fresh process)', () => child('compile-child.ts'))
if (wants('load')) results.load = await section('snapshot load (fresh processes, --expose-gc)', () => loadRuns(quick ? 3 : 5))
if (wants('routing'))
  results.routing = await section('routing', () => {
    const cases: RoutingCase[] = []
    for (const n of ROUTE_COUNTS) {
      // `…+RegExp`: the same, with regexes on V8's backtracking RegExp (before the linear-time engine).
      const before = { 'edgevoy+RegExp': withBacktrackingRegex(buildRouteIndex), 'linear+RegExp': withBacktrackingRegex((vh) => linearIndex(vh.routes)) }
      cases.push(runRoutingCase(n, { ...DEFAULT_IMPLS, ...before, segment: buildSegmentIndex }, quick ? 300 : 1200))
      log(`  routing ${n} routes measured`)
    }
    return { cases, slopes: routingSlopes(cases) }
  })
if (wants('regex')) results.regex = await section('regex engine (size, pathological patterns)', () => measureRegex())
if (wants('memory')) results.memory = await section('memory (fresh process, --expose-gc)', () => child('memory-child.ts', ['--expose-gc']))
if (wants('runtime'))
  results.runtime = await section('runtime (Miniflare + wrk)', (): Promise<RuntimeResult> => runRuntime({ seconds: quick ? 3 : 10, connections: 16, rounds: quick ? 1 : 2 }))
results.totalSeconds = (performance.now() - started) / 1000

mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(join(ROOT, 'bench/results/latest.json'), JSON.stringify(results, null, 2) + '\n')
process.stdout.write(printReport(results))
log(`wrote bench/results/latest.json (${(results.totalSeconds as number).toFixed(0)} s)`)
