/**
 * Run with --expose-gc: the V8 heap an isolate keeps for the 10,000-route /
 * 1,000-cluster config (snapshot + route indexes), against the same process
 * with nothing loaded. Node's V8 approximates workerd's (same engine, one
 * isolate per Worker). Prints JSON on stdout.
 */
import { compileConfig } from '../src/compile/index.js'
import { loadConfig } from '../src/config/load.js'
import { buildRouteIndex, loadRouteIndex, type RouteIndex } from '../src/router/route-index.js'
import { generateConfig } from './gen-config.js'

// The index of a virtual host with more than 8 routes is imported on demand (router/route-index.ts), as a serving isolate does.
await loadRouteIndex()

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')
const settle = () => {
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

// Warm the code paths on a small config, so the baseline already holds the compiled code.
const small = generateConfig(10)
const warm = loadConfig(small.text)
if (warm.ok) compileConfig(warm.config)

const baseline = settle()
let text: string | undefined = generateConfig(10000, { clusters: 1000, withRetries: true }).text
const configBytes = text.length
let peak = 0
const sample = () => (peak = Math.max(peak, process.memoryUsage().heapUsed))
/** As serving.ts does: the parsed config is garbage once the snapshot exists. */
function compileText(t: string) {
  const loaded = loadConfig(t)
  sample()
  if (!loaded.ok) throw new Error('invalid config')
  const s = compileConfig(loaded.config)
  sample()
  return s
}
const snapshot = compileText(text)
const indexes: RouteIndex[] = []
for (const vh of snapshot.listeners[0]!.routeTable.virtualHosts) indexes.push(buildRouteIndex(vh))
sample()
// What the isolate keeps: the snapshot and the indexes; the text and the parsed config go.
text = undefined
const retained = settle()
process.stdout.write(JSON.stringify({ baselineMiB: baseline / 2 ** 20, retainedMiB: (retained - baseline) / 2 ** 20, heapUsedMiB: retained / 2 ** 20, peakMiB: peak / 2 ** 20, configBytes, keep: [snapshot.hash, indexes.length] }))
