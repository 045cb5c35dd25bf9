/**
 * Run in a fresh process (cold JIT, as in a new isolate): load + compile the
 * seed config and the 10,000-route / 1,000-cluster config, phase by phase,
 * then again warm. Prints JSON on stdout.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compileConfig } from '../src/compile/index.js'
import type { Snapshot } from '../src/compile/types.js'
import { validateConfig } from '../src/config/load.js'
import { parseSource } from '../src/config/yaml-source.js'
import { buildRouteIndex, loadRouteIndex } from '../src/router/route-index.js'
import { ROOT } from './bundle.js'
import { generateConfig } from './gen-config.js'
import { median } from './stats.js'

// The index of a virtual host with more than 8 routes is imported on demand (router/route-index.ts), as a serving isolate does.
await loadRouteIndex()

interface Phases { parseMs: number; validateMs: number; compileMs: number; indexMs: number; totalMs: number }

/** What an isolate's first request pays: text → snapshot → a route index per virtual host. */
function timeOnce(text: string): Phases {
  const t0 = performance.now()
  const source = parseSource(text)
  const t1 = performance.now()
  const loaded = validateConfig(source.value, source.locate)
  if (!loaded.ok) throw new Error(`invalid config: ${loaded.errors[0]?.message}`)
  const t2 = performance.now()
  const snapshot: Snapshot = compileConfig(loaded.config)
  const t3 = performance.now()
  for (const l of snapshot.listeners) for (const vh of l.routeTable.virtualHosts) buildRouteIndex(vh)
  const t4 = performance.now()
  return { parseMs: t1 - t0, validateMs: t2 - t1, compileMs: t3 - t2, indexMs: t4 - t3, totalMs: t4 - t0 }
}

function timeCase(text: string, warmRuns: number) {
  const cold = timeOnce(text)
  const warm: Phases[] = []
  for (let i = 0; i < warmRuns; i++) warm.push(timeOnce(text))
  const m = (k: keyof Phases) => median(warm.map((w) => w[k]))
  return { cold, warm: { parseMs: m('parseMs'), validateMs: m('validateMs'), compileMs: m('compileMs'), indexMs: m('indexMs'), totalMs: m('totalMs') } }
}

const seedText = readFileSync(join(ROOT, 'routes/front-envoy.yaml'), 'utf8')
const big = generateConfig(10000, { clusters: 1000, withRetries: true })
const seed = timeCase(seedText, 20)
const large = timeCase(big.text, 2)
process.stdout.write(JSON.stringify({ seed, large: { ...large, routes: big.routes, clusters: big.clusters, virtualHosts: big.virtualHosts, bytes: big.text.length } }))
