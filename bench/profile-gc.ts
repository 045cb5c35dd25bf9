/**
 * A diagnostic beside bench/profile-runtime.ts (issue #14): how much garbage a
 * request makes and what the isolate's CPU spends on collecting it, for the
 * bare Worker and the seed-config edgevoy in one workerd, and where the
 * latency tail comes from. Per Worker, each under its own wrk run (16
 * connections, the seed route):
 *   - bytes allocated per request, from V8's sampling heap profiler over
 *     workerd's inspector (samples of objects collected since included, so the
 *     total estimates all allocation), and the top allocation sites;
 *   - a V8 CPU profile: the share of the isolate's samples in "(garbage
 *     collector)", the longest runs of GC samples (pauses), and the gaps in the
 *     sampling (the process not running: the OS scheduler);
 *   - with no profiler attached, at 16 and at 4 connections: wrk's
 *     latency percentiles beside how long workerd's threads, wrk's and this
 *     process's (the node upstream) waited runnable for a CPU
 *     (/proc/PID/task/TID/schedstat, run-queue delay), beside a process that
 *     only sleeps 1 ms and wakes (how late it wakes is the machine's share).
 *     The percentiles here are wrk's own, corrected for coordinated omission
 *     (see bench/tail-runtime.ts for what that does and the client-timed figure).
 * Run: node --import tsx bench/profile-gc.ts [seconds] [out-dir]   (MINIFY=1 for the minified build)
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { ROOT, TMP } from './bundle.js'
import { parseWrk, startUpstream, workerdCpuTicks, workerdPids, CPU_TICK_US, type WrkResult } from './workerd-host.js'
import { serveBareAndSeed } from './bare-and-seed.js'

const seconds = Number(process.argv[2] ?? 5)
const outDir = process.argv[3] ?? join(ROOT, 'bench/results')
const only = (process.env.ONLY ?? 'upstream,bare,seed').split(',')

const up = await startUpstream()
const upPort = (up.address() as AddressInfo).port
const before = new Set(workerdPids())
const { mf, ports } = await serveBareAndSeed({ name: 'gc-seed', upPort, minify: process.env.MINIFY === '1', inspector: true })

/** wrk on the seed route, its pid kept so its own scheduling delay can be read while it runs. */
function wrk(url: string, secs: number, connections: number, paceMs = 0): Promise<WrkResult & { wrkWaitNs: number; p90Ms: number }> {
  const args = ['-t1', `-c${connections}`, `-d${secs}s`, '--latency', '-H', 'Host: api.example.com']
  if (paceMs) args.push('-s', pacer(paceMs))
  args.push(`${url}/api/v1/svc0/items/42?page=2`)
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    let wait = 0
    // Sampled just before it exits (the task is gone after).
    const poll = setInterval(() => {
      try {
        wait = schedWaitNs([p.pid!])
      } catch {
        /* gone */
      }
    }, 200)
    p.stdout.on('data', (d) => (out += d))
    p.on('close', () => {
      clearInterval(poll)
      const p90 = /^\s*90%\s+([\d.]+)(us|ms|s)/m.exec(out)
      resolve({ ...parseWrk(out), wrkWaitNs: wait, p90Ms: p90 ? Number(p90[1]) * ({ us: 0.001, ms: 1, s: 1000 }[p90[2]!] ?? NaN) : NaN })
    })
    p.on('error', reject)
  })
}

/** A wrk script: each connection waits `ms` after every answer before its next request (wrk's `delay()`), an offered rate below saturation. */
function pacer(ms: number): string {
  const path = join(TMP, `pace-${ms}.lua`)
  writeFileSync(path, `function delay() return ${ms} end\n`)
  return path
}

/**
 * A process that does nothing but sleep 1 ms and wake, started beside a run:
 * how late it wakes is what the machine alone (the OS scheduler, every other
 * process on the 2 cores) adds to anything that waits for an event — the
 * latency tail no proxy can be blamed for (cyclictest's method).
 */
function wakeProbe(): { stop(): Promise<string> } {
  const code = `const lat=[];let t=process.hrtime.bigint();const tick=()=>{const n=process.hrtime.bigint();lat.push(Number(n-t)/1e6-1);t=n;setTimeout(tick,1)};setTimeout(tick,1);process.on('SIGTERM',()=>{lat.sort((a,b)=>a-b);const q=(p)=>lat[Math.min(lat.length-1,Math.floor(p*lat.length))].toFixed(1);process.stdout.write('late wake-ups of a 1 ms sleeper: p50 '+q(.5)+' p90 '+q(.9)+' p99 '+q(.99)+' max '+lat[lat.length-1].toFixed(1)+' ms, > 10 ms '+lat.filter(x=>x>10).length+' of '+lat.length);process.exit(0)})`
  const p = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  p.stdout.on('data', (d) => (out += d))
  return { stop: () => new Promise((r) => (p.on('close', () => r(out)), p.kill('SIGTERM'))) }
}

/** Run-queue delay (ns) summed over every thread of these processes: time runnable but not on a CPU. */
function schedWaitNs(pids: readonly number[]): number {
  let total = 0
  for (const pid of pids)
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1])
      } catch {
        /* thread ended */
      }
    }
  return total
}

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface HeapNode { callFrame: CallFrame; selfSize: number; children: HeapNode[] }
interface CpuNode { id: number; callFrame: CallFrame; children?: number[] }

try {
  await mf.ready
  const pids = workerdPids().filter((p) => !before.has(p))
  const urls: Record<string, string> = { bare: `http://127.0.0.1:${ports.bare}`, seed: `http://127.0.0.1:${ports.seed}` }
  for (const u of Object.values(urls)) await wrk(u, 2, 16)
  const { default: WebSocket } = (await import('ws' as string)) as { default: new (u: string) => { on(e: string, f: (x: unknown) => void): void; send(s: string): void; close(): void } }
  mkdirSync(outDir, { recursive: true })
  const lines: string[] = []
  const say = (s: string) => (lines.push(s), process.stdout.write(s + '\n'))
  say(`profile-gc ${new Date().toISOString()} load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} seconds ${seconds}`)

  if (only.includes('upstream'))
    for (const [c, pace] of [[16, 0], [4, 0], [8, 8]] as const) {
      const probe = wakeProbe()
      const n0 = schedWaitNs([process.pid])
      const r = await wrk(`http://127.0.0.1:${upPort}`, seconds, c, pace)
      const woke = await probe.stop()
      say(`upstream alone (no workerd) c=${c}${pace ? ` paced ${pace} ms` : ''}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} p90 ${r.p90Ms.toFixed(2)} p99 ${r.p99Ms.toFixed(2)} ms; runnable-but-waiting: node upstream ${((schedWaitNs([process.pid]) - n0) / 1e6).toFixed(0)} ms, wrk ${(r.wrkWaitNs / 1e6).toFixed(0)} ms; ${woke}`)
    }
  for (const name of only.filter((n) => n !== 'upstream')) {
    const ws = new WebSocket(`ws://127.0.0.1:${ports.inspector}/core:user:${name}`)
    await new Promise((r, j) => (ws.on('open', r), ws.on('error', j)))
    let id = 0
    const pending = new Map<number, (v: unknown) => void>()
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { id?: number; result?: unknown; error?: unknown }
      if (m.id !== undefined) pending.get(m.id)?.(m.result ?? { error: m.error })
    })
    const call = <T>(method: string, params = {}) => new Promise<T>((r) => (pending.set(++id, r as (v: unknown) => void), ws.send(JSON.stringify({ id, method, params }))))
    const url = urls[name]!

    // 1. No profiler: CPU, tail and scheduling delay at 16 and 4 connections, and paced (8 connections, 8 ms apart: ≤ 1,000 req/s).
    for (const [c, pace] of [[16, 0], [4, 0], [8, 8]] as const) {
      const t = workerdCpuTicks(pids)
      const w0 = schedWaitNs(pids)
      const n0 = schedWaitNs([process.pid])
      const probe = wakeProbe()
      const r = await wrk(url, seconds, c, pace)
      const woke = await probe.stop()
      const cpu = ((workerdCpuTicks(pids) - t) * CPU_TICK_US) / r.requests
      const wWait = (schedWaitNs(pids) - w0) / 1e6
      const nWait = (schedWaitNs([process.pid]) - n0) / 1e6
      say(`${name} c=${c}${pace ? ` paced ${pace} ms` : ''}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} p90 ${r.p90Ms.toFixed(2)} p99 ${r.p99Ms.toFixed(2)} ms, workerd ${cpu.toFixed(0)} µs/req; runnable-but-waiting over ${seconds} s: workerd ${wWait.toFixed(0)} ms, node upstream ${nWait.toFixed(0)} ms, wrk ${(r.wrkWaitNs / 1e6).toFixed(0)} ms; ${woke}`)
    }
    const heap0 = await call<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage')

    // 2. Bytes allocated per request (every sampled allocation, collected or not).
    await call('HeapProfiler.enable')
    await call('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    const rh = await wrk(url, seconds, 16)
    const { profile: hp } = await call<{ profile: { head: HeapNode } }>('HeapProfiler.stopSampling')
    writeFileSync(join(outDir, `${name}.heapprofile`), JSON.stringify(hp))
    const sites = new Map<string, number>()
    let total = 0
    const walk = (n: HeapNode, stack: string[]) => {
      const f = n.callFrame
      const here = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-1)[0]}:${f.lineNumber + 1}`
      total += n.selfSize
      if (n.selfSize) {
        // Attribute to the innermost frame of edgevoy's own code (not a builtin or hono) and to the frame itself.
        const ours = [...stack, here].reverse().find((s) => !/^\(|hono/.test(s) && /\.mjs|\.js|\.ts/.test(s)) ?? here
        sites.set(`self ${here}`, (sites.get(`self ${here}`) ?? 0) + n.selfSize)
        sites.set(`ours ${ours}`, (sites.get(`ours ${ours}`) ?? 0) + n.selfSize)
      }
      for (const ch of n.children) walk(ch, [...stack, here])
    }
    walk(hp.head, [])
    say(`${name} allocated: ${(total / rh.requests).toFixed(0)} bytes/request (${rh.requests} requests, ${(total / 2 ** 20).toFixed(1)} MiB sampled)`)
    const top = (kind: string) => [...sites].filter(([k]) => k.startsWith(kind)).sort((a, b) => b[1] - a[1]).slice(0, 25)
    for (const [k, v] of top('self ')) say(`  ${(v / rh.requests).toFixed(0).padStart(6)} B/req  ${k}`)
    say(`  by innermost frame of the Worker's own code:`)
    for (const [k, v] of top('ours ')) say(`  ${(v / rh.requests).toFixed(0).padStart(6)} B/req  ${k}`)

    // 3. CPU profile: the GC's share, its pauses, and gaps in sampling.
    await call('Profiler.enable')
    await call('Profiler.setSamplingInterval', { interval: 100 })
    await call('Profiler.start')
    const t0 = workerdCpuTicks(pids)
    const rc = await wrk(url, seconds, 16)
    const cpuMs = ((workerdCpuTicks(pids) - t0) * CPU_TICK_US) / 1000
    const { profile } = await call<{ profile: { nodes: CpuNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number } }>('Profiler.stop')
    writeFileSync(join(outDir, `${name}.cpuprofile`), JSON.stringify(profile))
    const kind = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]))
    const count: Record<string, number> = {}
    const gcRuns: number[] = []
    const gaps: number[] = []
    let run = 0
    let runN = 0
    const gcRunN: number[] = []
    for (let i = 0; i < profile.samples.length; i++) {
      const k = kind.get(profile.samples[i]!) ?? ''
      const label = k === '(garbage collector)' || k === '(idle)' || k === '(program)' ? k : 'js'
      count[label] = (count[label] ?? 0) + 1
      const dt = profile.timeDeltas[i]! / 1000
      if (dt > 2) gaps.push(dt)
      if (label === '(garbage collector)') (run += dt, runN++)
      else if (run) (gcRuns.push(run), gcRunN.push(runN), (run = 0), (runN = 0))
    }
    const all = profile.samples.length
    const busy = all - (count['(idle)'] ?? 0)
    const gc = count['(garbage collector)'] ?? 0
    gcRuns.sort((a, b) => b - a)
    gaps.sort((a, b) => b - a)
    const wall = (profile.endTime - profile.startTime) / 1000
    say(`${name} cpu profile: ${rc.requests} requests, ${all} samples over ${(wall / 1000).toFixed(1)} s; workerd process CPU ${cpuMs.toFixed(0)} ms (${((cpuMs * 1000) / rc.requests).toFixed(0)} µs/req); ` +
      `GC ${gc} samples = ${((100 * gc) / busy).toFixed(1)} % of non-idle samples, ~${((gc * 100) / rc.requests).toFixed(1)} µs/req at 100 µs; ` +
      `js ${count.js ?? 0}, (program) ${count['(program)'] ?? 0}, (idle) ${count['(idle)'] ?? 0}`)
    gcRunN.sort((a, b) => b - a)
    say(`  GC runs: ${gcRuns.length}, longest by wall time ${gcRuns.slice(0, 8).map((x) => x.toFixed(1)).join(', ')} ms (> 5 ms: ${gcRuns.filter((x) => x > 5).length}); most samples in one run ${gcRunN.slice(0, 8).join(', ')} (× 0.1 ms)`)
    say(`  sampling gaps > 2 ms: ${gaps.length}, longest ${gaps.slice(0, 8).map((x) => x.toFixed(1)).join(', ')} ms; > 10 ms: ${gaps.filter((x) => x > 10).length}`)
    const heap1 = await call<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage')
    say(`  isolate heap used ${(heap0.usedSize / 2 ** 20).toFixed(1)} → ${(heap1.usedSize / 2 ** 20).toFixed(1)} MiB (total ${(heap1.totalSize / 2 ** 20).toFixed(1)} MiB)`)
    ws.close()
  }
  writeFileSync(join(outDir, `profile-gc-${Date.now()}.txt`), lines.join('\n') + '\n')
} finally {
  await mf.dispose()
  up.closeAllConnections()
  up.close()
}
process.exit(0)
