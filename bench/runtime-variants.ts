/**
 * A diagnostic beside `npm run bench -- --only=runtime`, not a benchmark
 * section: serve the bare pass-through, edgevoy with the seed config and any
 * extra Workers given (ES modules bundled as the bench bundles bare.mjs, with
 * `UPSTREAM` bound) in one Miniflare, drive each with wrk in alternating
 * rounds, and print workerd CPU per request and req/s per round, so a change
 * or a suspect is compared with the bare Worker from the same run.
 *   node --import tsx bench/runtime-variants.ts [seconds] [rounds] [worker.mjs …]
 *   e.g. bench/workers/bare-piped.mjs: what the body guard's pipe costs on its own.
 * BASELINE_TREE=/path/to/another/checkout adds that tree's seed build ("other seed").
 */
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { basename, join } from 'node:path'
import { Log, LogLevel, Miniflare, type WorkerOptions } from 'miniflare'
import { bundle, ROOT, TMP } from './bundle.js'
import { CPU_TICK_US, freePort, startUpstream, workerdCpuTicks, wrkSeedRoute } from './workerd-host.js'
import { buildBase, builtWorker } from './built.js'

const [secondsArg, roundsArg, ...extra] = process.argv.slice(2)
const seconds = Number(secondsArg ?? 5)
const rounds = Number(roundsArg ?? 3)

const upstream = await startUpstream()
const upPort = (upstream.address() as AddressInfo).port

const workers: WorkerOptions[] = []
const urls: Record<string, string> = {}
async function add(name: string, w: Omit<WorkerOptions, 'name' | 'compatibilityDate' | 'unsafeDirectSockets'>): Promise<void> {
  const port = await freePort()
  workers.push({ ...w, name, compatibilityDate: '2026-04-01', unsafeDirectSockets: [{ host: '127.0.0.1', port }] } as WorkerOptions)
  urls[name] = `http://127.0.0.1:${port}`
}
const seedText = readFileSync(join(ROOT, 'routes/front-envoy.yaml'), 'utf8')
const resolve = { service_a_envoy: [`127.0.0.1:${upPort}`] }
for (const file of [join(ROOT, 'bench/workers/bare.mjs'), ...extra]) {
  const b = await bundle(file, basename(file, '.mjs'))
  await add(basename(file, '.mjs'), { modules: [{ type: 'ESModule', path: b.path, contents: b.text }], modulesRoot: TMP, bindings: { UPSTREAM: `http://127.0.0.1:${upPort}` } })
}
const seed = await builtWorker('variants-seed', buildBase(seedText, resolve))
await add('seed', { modules: seed.mfModules, modulesRoot: seed.outdir })
if (process.env.BASELINE_TREE) {
  const other = (await import(join(process.env.BASELINE_TREE, 'bench/built.ts'))) as typeof import('./built.js')
  const w = await other.builtWorker('variants-other', other.buildBase(seedText, resolve))
  await add('other seed', { modules: w.mfModules, modulesRoot: w.outdir })
}

const mf = new Miniflare({ log: new Log(LogLevel.WARN), cf: false, workers })
try {
  await mf.ready
  for (const url of Object.values(urls)) await wrkSeedRoute(url, 1) // warm connections and the JIT
  const cpu: Record<string, number[]> = {}
  const rps: Record<string, number[]> = {}
  for (let round = 0; round < rounds; round++)
    for (const [name, url] of Object.entries(urls)) {
      const before = workerdCpuTicks()
      const r = await wrkSeedRoute(url, seconds)
      ;(cpu[name] ??= []).push(((workerdCpuTicks() - before) * CPU_TICK_US) / r.requests)
      ;(rps[name] ??= []).push(r.rps)
    }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  for (const name of Object.keys(urls)) {
    const overBare = cpu[name]!.map((c, i) => c - cpu['bare']![i]!)
    process.stdout.write(
      `${name.padEnd(12)} cpu µs/req ${mean(cpu[name]!).toFixed(0).padStart(5)} (rounds ${cpu[name]!.map((c) => c.toFixed(0)).join(' ')}; over bare ${overBare.map((d) => (d >= 0 ? '+' : '') + d.toFixed(0)).join(' ')})` +
        `  req/s ${mean(rps[name]!).toFixed(0)} (${(mean(rps[name]!) / mean(rps['bare']!)).toFixed(2)}× bare)\n`,
    )
  }
} finally {
  await mf.dispose()
  upstream.closeAllConnections()
  upstream.close()
}
process.exit(0)
