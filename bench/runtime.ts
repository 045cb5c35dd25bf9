/**
 * Per-request overhead through the real runtime: one Miniflare (one workerd
 * process) serving three Workers on their own sockets — a bare pass-through,
 * edgevoy with the seed config, edgevoy with 10,000 routes — and the upstream
 * itself, all driven by wrk for a bounded time against one local upstream.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Log, LogLevel, Miniflare } from 'miniflare'
import { bundle, ROOT, TMP } from './bundle.js'
import { CPU_TICK_US, freePort, quantile, runClientTimed, runWrk, startUpstream, workerdCpuTicks, workerdPids, type WrkResult } from './workerd-host.js'
import { buildBase, builtWorker } from './built.js'
import { generateConfig, BENCH_UPSTREAM_HOST } from './gen-config.js'

export interface LoadResult extends WrkResult {
  /** workerd CPU (user+sys) per request, µs; undefined for the upstream alone. */
  cpuUsPerRequest: number | undefined
}

export interface RuntimeResult {
  tool: string
  seconds: number
  connections: number
  cases: Record<string, LoadResult>
  /** V8 heap used per Worker isolate, MiB, read from workerd's inspector after the load runs (no forced GC). */
  heapMiB: Record<string, number> | { error: string }
  /** First request to a fresh isolate (module already evaluated; includes loading edgevoy's snapshot), ms. */
  firstRequestMs: Record<string, number>
  /** Bare and seed below saturation, each request timed by the client (see PACED). */
  paced?: { connections: number; paceMs: number; seconds: number; cases: Record<string, PacedResult> }
}

export interface PacedResult {
  rps: number
  requests: number
  p50Ms: number
  p99Ms: number
}

/**
 * Beside the saturated runs, whose p99 follows throughput (at saturation the
 * mean latency is connections ÷ throughput, Little's law) and carries wrk's
 * coordinated-omission correction: 8 connections, each waiting 8 ms after an
 * answer — ~900 req/s offered, well below either Worker's saturation here —
 * with every request timed by the client (bench/wrk-client-timed.lua). What a
 * request pays for going through the proxy at an ordinary load. Closed loop per
 * connection (no open-loop client such as wrk2 or Nighthawk is installed), so
 * a stall delays the next request instead of being counted against it.
 */
const PACED = { connections: 8, paceMs: 8 }

function ensureWrk(): string {
  try {
    return execFileSync('which', ['wrk']).toString().trim()
  } catch {
    process.stderr.write('wrk is missing: apt-get install -y wrk …\n')
    execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq wrk'], { stdio: 'ignore', timeout: 180_000 })
    return execFileSync('which', ['wrk']).toString().trim()
  }
}

/**
 * `Runtime.getHeapUsage` of each Worker's isolate over workerd's inspector
 * (one V8 isolate per Worker). `ws` comes with Miniflare; Node 20 has no
 * WebSocket global without a flag.
 */
async function heapUsage(inspectorPort: number, workers: readonly string[]): Promise<Record<string, number>> {
  const wsModule = 'ws'
  const { default: WebSocket } = (await import(wsModule)) as { default: new (url: string) => { on(e: string, f: (x: unknown) => void): void; send(s: string): void; close(): void } }
  const out: Record<string, number> = {}
  for (const name of workers) {
    const ws = new WebSocket(`ws://127.0.0.1:${inspectorPort}/core:user:${name}`)
    await new Promise((resolve, reject) => (ws.on('open', resolve), ws.on('error', reject)))
    const reply = await new Promise<{ result?: { usedSize?: number } }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector of ${name} did not answer`)), 10_000)
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as { id?: number; result?: { usedSize?: number } }
        if (m.id === 1) (clearTimeout(timer), resolve(m))
      })
      ws.send(JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage', params: {} }))
    })
    ws.close()
    out[name] = (reply.result?.usedSize ?? NaN) / 2 ** 20
  }
  return out
}

/** One GET with exactly these headers (fetch() would not let us set Host). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, timeout: 120_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in 120 s`)))
    req.on('error', reject)
    req.end()
  })
}

/** A wrk script that cycles through requests (path + Host + headers). */
function wrkScript(name: string, reqs: readonly { path: string; host: string; headers: Record<string, string> }[]): string {
  const lua = [
    'local reqs = {}',
    'init = function(args)',
    ...reqs.map((r) => `  table.insert(reqs, wrk.format("GET", ${JSON.stringify(r.path)}, { ${Object.entries({ Host: r.host, ...r.headers }).map(([k, v]) => `[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join(', ')} }))`),
    'end',
    'local i = 0',
    'request = function() i = i % #reqs + 1; return reqs[i] end',
  ].join('\n')
  const path = join(TMP, `${name}.lua`)
  writeFileSync(path, lua)
  return path
}

export async function runRuntime(options: { seconds: number; connections: number; rounds: number }): Promise<RuntimeResult> {
  const wrk = ensureWrk()
  const upstream = await startUpstream()
  const upPort = (upstream.address() as AddressInfo).port
  const upstreamUrl = `http://127.0.0.1:${upPort}`
  const bare = await bundle(join(ROOT, 'bench/workers/bare.mjs'), 'bare')
  // The floor under edgevoy (see the file): what Envoy's route timeout over a small body and a Hono app cost on their own.
  const floor = await bundle(join(ROOT, 'bench/workers/bare-hono.mjs'), 'bare-hono')
  const seedText = readFileSync(join(ROOT, 'routes/front-envoy.yaml'), 'utf8')
  const big = generateConfig(10000, { clusters: 1000, upstreamPort: upPort, withRetries: true })
  // As deployed: each config compiled where it is written, the Worker built around its snapshot.
  const seedWorker = await builtWorker('runtime-seed', buildBase(seedText, { service_a_envoy: [`127.0.0.1:${upPort}`] }))
  const bigWorker = await builtWorker('runtime-big', buildBase(big.text, { [BENCH_UPSTREAM_HOST]: [`127.0.0.1:${upPort}`] }))
  const ports = { bare: 0, seed: 0, big: 0, floor: 0, inspector: 0 }
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort()
  const worker = (name: string, b: { path: string; text: string }, bindings: Record<string, string>, port: number) => ({
    name,
    modules: [{ type: 'ESModule' as const, path: b.path, contents: b.text }],
    modulesRoot: TMP,
    compatibilityDate: '2026-04-01',
    bindings,
    unsafeDirectSockets: [{ host: '127.0.0.1', port }],
  })
  const built = (name: string, w: Awaited<ReturnType<typeof builtWorker>>, port: number) => ({
    name,
    modules: w.mfModules,
    modulesRoot: w.outdir,
    compatibilityDate: '2026-04-01',
    unsafeDirectSockets: [{ host: '127.0.0.1', port }],
  })
  const mf = new Miniflare({
    log: new Log(LogLevel.WARN),
    cf: false,
    inspectorPort: ports.inspector,
    workers: [
      worker('bare', bare, { UPSTREAM: upstreamUrl }, ports.bare),
      built('seed', seedWorker, ports.seed),
      built('big', bigWorker, ports.big),
      worker('floor', floor, { UPSTREAM: upstreamUrl }, ports.floor),
    ],
  })
  try {
    await mf.ready
    const pids = workerdPids()
    // Requests late in the big virtual host's table (GETs; a wrk script cannot set :method per request here).
    const late = big.requests.filter((r) => r.kind === 'late' && r.authority === 'api.example.com' && !(':method' in r.headers))
    const reqs = late.map((r) => ({ path: r.path, host: r.authority, headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => !k.startsWith(':'))) }))
    const script = wrkScript('late', reqs)
    const urls: Record<string, string> = {
      'd upstream': upstreamUrl,
      'a bare worker': `http://127.0.0.1:${ports.bare}`,
      'b edgevoy seed': `http://127.0.0.1:${ports.seed}`,
      'c edgevoy 10k': `http://127.0.0.1:${ports.big}`,
      'e floor: bare + route timeout + Hono': `http://127.0.0.1:${ports.floor}`,
    }
    const firstRequestMs: Record<string, number> = {}
    for (const [name, url] of Object.entries(urls)) {
      const r = reqs[0]!
      const t = performance.now()
      const res = await get(url + r.path, { host: r.host, ...r.headers })
      firstRequestMs[name] = performance.now() - t
      if (res.status !== 200) throw new Error(`${name}: ${r.path} answered ${res.status}: ${res.body.slice(0, 200)}`)
    }
    const load = { wrk, script, connections: options.connections, timeoutSeconds: 5 }
    const acc: Record<string, LoadResult[]> = {}
    for (let round = 0; round < options.rounds; round++) {
      for (const [name, url] of Object.entries(urls)) {
        await runWrk(url, { ...load, seconds: 1 }) // warm the connection pool and the JIT
        const before = workerdCpuTicks(pids)
        const { out, ...r } = await runWrk(url, { ...load, seconds: options.seconds })
        const ticks = workerdCpuTicks(pids) - before
        if (!Number.isFinite(r.rps)) throw new Error(`could not read wrk's output for ${name}:\n${out}`)
        ;(acc[name] ??= []).push({ ...r, cpuUsPerRequest: name.startsWith('d') ? undefined : (ticks * CPU_TICK_US) / r.requests })
      }
    }
    // Two alternating rounds of bare and seed below saturation (PACED).
    const pacedSeconds = Math.max(3, Math.round(options.seconds / 2))
    const pacedLat: Record<string, number[]> = {}
    const pacedRps: Record<string, number[]> = {}
    for (let round = 0; round < 2; round++)
      for (const name of ['a bare worker', 'b edgevoy seed']) {
        const r = await runClientTimed(`${urls[name]}${reqs[0]!.path}`, { ...PACED, seconds: pacedSeconds, headers: { Host: reqs[0]!.host, ...reqs[0]!.headers } })
        if (r.latenciesUs.length === 0) throw new Error(`paced run of ${name}: no latencies recorded:\n${r.out}`)
        ;(pacedLat[name] ??= []).push(...r.latenciesUs)
        ;(pacedRps[name] ??= []).push(r.rps)
      }
    const paced = {
      ...PACED,
      seconds: pacedSeconds,
      cases: Object.fromEntries(Object.entries(pacedLat).map(([name, lat]) => {
        const sorted = lat.sort((x, y) => x - y)
        const rps = pacedRps[name]!
        return [name, { rps: rps.reduce((x, y) => x + y, 0) / rps.length, requests: sorted.length, p50Ms: quantile(sorted, 0.5) / 1000, p99Ms: quantile(sorted, 0.99) / 1000 }]
      })),
    }
    const heapMiB = await heapUsage(ports.inspector, ['bare', 'seed', 'big']).catch((e: Error) => ({ error: e.message }))
    // Rounds alternate the cases; report each case's mean over rounds.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const cases = Object.fromEntries(
      Object.entries(acc).map(([name, rs]) => [
        name,
        {
          rps: mean(rs.map((r) => r.rps)),
          p50Ms: mean(rs.map((r) => r.p50Ms)),
          p99Ms: mean(rs.map((r) => r.p99Ms)),
          requests: rs.reduce((a, r) => a + r.requests, 0),
          errors: rs.reduce((a, r) => a + r.errors, 0),
          cpuUsPerRequest: rs[0]!.cpuUsPerRequest === undefined ? undefined : mean(rs.map((r) => r.cpuUsPerRequest!)),
        },
      ]),
    )
    return { tool: `wrk (${wrk})`, seconds: options.seconds, connections: options.connections, cases, heapMiB, firstRequestMs, paced }
  } finally {
    await mf.dispose()
    upstream.closeAllConnections()
    await new Promise((r) => upstream.close(r))
  }
}
