/**
 * Run in a fresh process (cold JIT, as in a new isolate), with --expose-gc:
 * what an isolate pays to serve a published or built config — loadSnapshot
 * (src/snapshot/load.ts) of the serialized text, plus a route index per
 * virtual host — for the seed config and the 10,000-route / 1,000-cluster
 * config, first run and warm, and the heap while loading and after; and
 * what loading leaves to the first request — a regex's first run unpacks its
 * program — per distinct regex.
 * argv: the two serialized snapshot files (written by the parent, so this
 * process never ran the compiler), and the bundled loader (bench/load-entry.ts).
 * Prints JSON on stdout.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import type { ProgramJson } from './load-entry.js'
import { median } from './stats.js'

// The loader as the Worker bundles it (argv[4], from bench/main.ts), else from source.
const loader = process.argv[4]
const { loadRegexEngine, loadRouteIndex, loadMatchLinkers, programFromJson, buildRouteIndex, loadSnapshot } = (
  loader ? await import(pathToFileURL(loader).href) : await import('./load-entry.js')
) as typeof import('./load-entry.js')

const gc = (globalThis as { gc?: () => void }).gc
const settle = () => {
  for (let i = 0; i < 3; i++) gc?.()
  return process.memoryUsage().heapUsed
}

const [seedFile, bigFile] = process.argv.slice(2)
const seedText = readFileSync(seedFile!, 'utf8')
let bigText: string | undefined = readFileSync(bigFile!, 'utf8')
const bigBytes = bigText.length

let peak = 0
const sample = () => (peak = Math.max(peak, process.memoryUsage().heapUsed))

function loadOnce(text: string) {
  const t0 = performance.now()
  const snapshot = loadSnapshot(text)
  sample()
  const t1 = performance.now()
  const indexes = []
  for (const l of snapshot.listeners) for (const vh of l.routeTable.virtualHosts) indexes.push(buildRouteIndex(vh))
  sample()
  const t2 = performance.now()
  return { snapshot, indexes, loadMs: t1 - t0, indexMs: t2 - t1, totalMs: t2 - t0 }
}

// Seed first, cold: the first thing a new isolate does.
const seedCold = loadOnce(seedText)
const seedWarm = median(Array.from({ length: 20 }, () => loadOnce(seedText).totalMs))

// The big one, cold for its size; heap measured around it.
const baseline = settle()
peak = baseline
// A snapshot holding regexes makes the serving isolate import the regex engine's chunk first, and one
// with a virtual host of more than 8 routes the route index's (state/serving.ts), and one with header or
// query-parameter matchers the matcher linkers' (snapshot/load.ts readySnapshot): the big one's first
// load pays those imports, counted in its load time.
const e0 = performance.now()
await Promise.all([loadRegexEngine(), loadRouteIndex(), loadMatchLinkers()])
const engineMs = performance.now() - e0
const big = loadOnce(bigText)
big.loadMs += engineMs
big.totalMs += engineMs
bigText = undefined
const retained = settle() - baseline
const peakMiB = (peak - baseline) / 2 ** 20
const keep = [big.snapshot.hash, big.indexes.length]

// What loading defers: a safe_regex's program is unpacked when the regex first runs (src/snapshot/regex.ts).
// The first test of each distinct regex pays that (and its DFA's start, lazy before too); the second is a plain match.
const regexPaths = new Map<string, { test(path: string): boolean; value: string }>()
for (const l of big.snapshot.listeners)
  for (const vh of l.routeTable.virtualHosts) for (const r of vh.routes) if (r.match.path.kind === 'safe_regex') regexPaths.set(r.match.path.value, r.match.path)
const timeAll = () => {
  const t = performance.now()
  for (const p of regexPaths.values()) p.test(p.value)
  return performance.now() - t
}
const regexFirst = timeAll()
const regexAgain = timeAll()
// The unpacking alone (the rest of a first run — the DFA's start — was lazy before programs were packed).
const programs = ((JSON.parse(readFileSync(bigFile!, 'utf8')) as { regexes?: { program: ProgramJson }[] }).regexes ?? []).map((r) => r.program)
const unpackStart = performance.now()
for (const p of programs) programFromJson(p)
const unpackUs = programs.length ? ((performance.now() - unpackStart) * 1000) / programs.length : 0
const bigWarm = median(Array.from({ length: 3 }, () => loadOnce(readFileSync(bigFile!, 'utf8')).totalMs))

const phases = (r: { loadMs: number; indexMs: number; totalMs: number }) => ({ loadMs: r.loadMs, indexMs: r.indexMs, totalMs: r.totalMs })
process.stdout.write(
  JSON.stringify({
    seed: { cold: phases(seedCold), warmMs: seedWarm, bytes: seedText.length },
    large: {
      cold: phases(big),
      warmMs: bigWarm,
      bytes: bigBytes,
      peakMiB,
      retainedMiB: retained / 2 ** 20,
      gc: Boolean(gc),
      regexes: { count: regexPaths.size, firstUs: (regexFirst * 1000) / regexPaths.size, againUs: (regexAgain * 1000) / regexPaths.size, unpackUs },
    },
    keep,
  }),
)
