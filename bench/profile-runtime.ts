/**
 * A profiling aid, not a benchmark section: serve the bare Worker and the
 * seed-config edgevoy in one Miniflare, drive each with wrk for a few
 * seconds, print workerd CPU per request for both (same run), and write a V8
 * CPU profile of the seed isolate (taken over workerd's inspector) to
 * argv[2] (default bench/results/seed.cpuprofile).
 * Run: node --import tsx bench/profile-runtime.ts [out.cpuprofile] [seconds]
 */
import { writeFileSync, mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { ROOT } from './bundle.js'
import { CPU_TICK_US, startUpstream, workerdCpuTicks, wrkSeedRoute } from './workerd-host.js'
import { serveBareAndSeed } from './bare-and-seed.js'

const out = process.argv[2] ?? join(ROOT, 'bench/results/seed.cpuprofile')
const seconds = Number(process.argv[3] ?? 5)

const up = await startUpstream()
const upPort = (up.address() as AddressInfo).port
const { mf, ports } = await serveBareAndSeed({ name: 'prof-seed', upPort, minify: process.env.MINIFY !== '0', inspector: true })
try {
  await mf.ready
  const urls = { bare: `http://127.0.0.1:${ports.bare}`, seed: `http://127.0.0.1:${ports.seed}` }
  for (const u of Object.values(urls)) await wrkSeedRoute(u, 1)
  const res: Record<string, number[]> = { bare: [], seed: [] }
  for (let round = 0; round < 2; round++)
    for (const [name, url] of Object.entries(urls)) {
      const t = workerdCpuTicks()
      const n = (await wrkSeedRoute(url, seconds)).requests
      res[name]!.push(((workerdCpuTicks() - t) * CPU_TICK_US) / n)
    }
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length
  process.stdout.write(`cpu µs/request: bare ${mean(res.bare!).toFixed(0)} seed ${mean(res.seed!).toFixed(0)} (+${(mean(res.seed!) - mean(res.bare!)).toFixed(0)}) rounds ${JSON.stringify(res)}\n`)
  // A CPU profile of the seed isolate under the same load.
  const { default: WebSocket } = (await import('ws' as string)) as { default: new (u: string) => { on(e: string, f: (x: unknown) => void): void; send(s: string): void; close(): void } }
  const ws = new WebSocket(`ws://127.0.0.1:${ports.inspector}/core:user:seed`)
  await new Promise((r, j) => (ws.on('open', r), ws.on('error', j)))
  let id = 0
  const pending = new Map<number, (v: unknown) => void>()
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { id?: number; result?: unknown }
    if (m.id !== undefined) pending.get(m.id)?.(m.result)
  })
  const call = (method: string, params = {}) => new Promise<unknown>((r) => (pending.set(++id, r), ws.send(JSON.stringify({ id, method, params }))))
  await call('Profiler.enable')
  await call('Profiler.setSamplingInterval', { interval: 50 })
  await call('Profiler.start')
  const n = (await wrkSeedRoute(urls.seed, seconds)).requests
  const { profile } = (await call('Profiler.stop')) as { profile: unknown }
  ws.close()
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(profile))
  process.stdout.write(`profiled ${n} requests → ${out}\n`)
} finally {
  await mf.dispose()
  up.closeAllConnections()
  up.close()
}
process.exit(0)
