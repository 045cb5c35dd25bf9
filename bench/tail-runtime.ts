/**
 * A diagnostic for the p99 goal (issue #14): the latency tail of the bare
 * Worker and the seed-config edgevoy in one workerd, measured two ways on the
 * same wrk runs:
 *   - wrk's own percentiles, the figures `npm run bench` prints. wrk 4.x
 *     "corrects" them for coordinated omission before printing
 *     (`stats_correct(statistics.latency, interval)` in wrk.c, interval =
 *     run time ÷ requests per connection): every request slower than twice
 *     that interval adds phantom samples at latency − interval, − 2·interval, …
 *     so one stall of L ms counts about L ÷ interval times, and the mean no
 *     longer agrees with Little's law (connections ÷ throughput);
 *   - client-timed: one connection per wrk thread (-tN -cN), each request
 *     timed by the client from request() to response() on CLOCK_MONOTONIC
 *     (bench/wrk-client-timed.lua) — what each request actually took.
 * Closed loop at 4 and 16 connections, and paced (8 connections, each 8 ms
 * apart after an answer: an offered rate below saturation, wrk's delay()).
 * Each line also gives the upstream's event-loop delay over the run (max and
 * p99, perf_hooks): a stall of the node upstream shows there. UPSTREAM_PROC=1
 * serves the upstream from a node process of its own instead of this one
 * (which also holds Miniflare and the build).
 * Run: node --import tsx bench/tail-runtime.ts   (SECS=4 per run)
 */
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { quantile, runClientTimed, startUpstream } from './workerd-host.js'
import { serveBareAndSeed } from './bare-and-seed.js'

const secs = Number(process.env.SECS ?? 4)
// The upstream's event-loop delay per run: in this process, or reported by the upstream's own process.
const UPSTREAM_CODE = `const h=require('node:http');const {monitorEventLoopDelay}=require('node:perf_hooks');let m=monitorEventLoopDelay({resolution:1});m.enable();
const body=Buffer.from('{"ok":true,"from":"upstream"}\\n');const s=h.createServer((q,r)=>{q.resume();q.on('end',()=>r.writeHead(200,{'content-type':'application/json','content-length':body.length}).end(body))});s.keepAliveTimeout=60000;
s.listen(0,'127.0.0.1',()=>console.log('PORT '+s.address().port));process.stdin.on('data',()=>{console.log('LOOP max '+(m.max/1e6).toFixed(1)+' p99 '+(m.percentile(99)/1e6).toFixed(1));m.reset()})`
const separate = process.env.UPSTREAM_PROC === '1'
const inProc = separate ? undefined : await startUpstream()
const child = separate ? spawn(process.execPath, ['-e', UPSTREAM_CODE], { stdio: ['pipe', 'pipe', 'inherit'] }) : undefined
let childOut = ''
child?.stdout!.on('data', (d) => (childOut += d))
const upPort = inProc ? (inProc.address() as AddressInfo).port : await new Promise<number>((r) => { const t = setInterval(() => { const m = /PORT (\d+)/.exec(childOut); if (m) (clearInterval(t), r(Number(m[1]))) }, 20) })
const loop = monitorEventLoopDelay({ resolution: 1 })
loop.enable()
async function upstreamLoop(): Promise<string> {
  if (!child) {
    const out = `LOOP max ${(loop.max / 1e6).toFixed(1)} p99 ${(loop.percentile(99) / 1e6).toFixed(1)}`
    loop.reset()
    return `upstream (this process) event-loop delay ${out.slice(5)} ms`
  }
  const before = childOut.length
  child.stdin!.write('x')
  for (let i = 0; i < 100 && !childOut.slice(before).includes('LOOP'); i++) await new Promise((r) => setTimeout(r, 10))
  return `upstream (own process) event-loop delay ${childOut.slice(before).trim().slice(5)} ms`
}
const { mf, ports } = await serveBareAndSeed({ name: 'tail-seed', upPort })

async function run(url: string, c: number, paceMs: number): Promise<string> {
  const { rps, latenciesUs: lat, out } = await runClientTimed(url, { connections: c, seconds: secs, paceMs, headers: { Host: 'api.example.com' } })
  const q = (x: number) => (quantile(lat, x) / 1000).toFixed(2)
  const mean = lat.reduce((a, b) => a + b, 0) / lat.length / 1000
  const loopLine = await upstreamLoop()
  return (
    `${loopLine}; ${rps.toFixed(0)} req/s (Little's law: mean ${((1000 * c) / rps).toFixed(2)} ms when closed loop)\n` +
    `    client-timed: n=${lat.length} mean=${mean.toFixed(2)} p50=${q(0.5)} p90=${q(0.9)} p99=${q(0.99)} p99.9=${q(0.999)} max=${(lat[lat.length - 1]! / 1000).toFixed(1)} ms\n` +
    `    ${out.split('\n').find((l) => l.startsWith('WRK')) ?? out}`
  )
}

try {
  await mf.ready
  await upstreamLoop()
  const path = '/api/v1/svc0/items/42?page=2'
  console.log(`tail-runtime ${separate ? '(upstream in its own process) ' : ''}${new Date().toISOString()} load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
  for (const [c, pace] of [[4, 0], [16, 0], [8, 8]] as const)
    for (const name of ['bare', 'seed'] as const) console.log(`${name} -t${c} -c${c}${pace ? ` paced ${pace} ms` : ''}: ${await run(`http://127.0.0.1:${ports[name]}${path}`, c, pace)}`)
} finally {
  await mf.dispose()
  inProc?.closeAllConnections()
  inProc?.close()
  child?.kill()
}
process.exit(0)
