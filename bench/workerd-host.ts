/**
 * What every workerd bench needs from the host: the upstream they all answer
 * from, free ports for Miniflare's sockets, the CPU time of the workerd
 * processes this process started (from /proc, so it counts workerd alone),
 * and wrk to drive them.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The pass-through upstream: a small JSON answer with Content-Length, on keep-alive connections. */
export async function startUpstream(): Promise<Server> {
  const body = Buffer.from('{"ok":true,"from":"upstream"}\n')
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body))
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return server
}

export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const p = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return p
}

/** `/proc/PID/stat` fields after the command name (field 3 is index 0). */
const statFields = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ')

/** workerd processes started by this process (Miniflare spawns one). */
export function workerdPids(): number[] {
  const pids: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      if (Number(statFields(stat)[1]) === process.pid && stat.includes('(workerd)')) pids.push(Number(d))
    } catch {
      // The process went away while we looked.
    }
  }
  return pids
}

/** Microseconds in one clock tick, the unit of `/proc/PID/stat`'s utime and stime (`getconf CLK_TCK`, usually 100 Hz). */
export const CPU_TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100)

/** User + system clock ticks of these processes (utime, stime). */
export function workerdCpuTicks(pids: readonly number[] = workerdPids()): number {
  let total = 0
  for (const pid of pids) {
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    total += Number(fields[11]) + Number(fields[12])
  }
  return total
}

/** What one wrk run reports; a figure wrk did not print is NaN. */
export interface WrkResult {
  rps: number
  p50Ms: number
  p99Ms: number
  requests: number
  /** Non-2xx/3xx answers plus socket errors (connect, read, write, timeout). */
  errors: number
}

/** Reads wrk's summary (run with `--latency`, which prints the percentiles). */
export function parseWrk(out: string): WrkResult {
  const ms = (v: string, unit: string) => Number(v) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[unit] ?? NaN)
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out)
    return m ? ms(m[1]!, m[2]!) : NaN
  }
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0)
  return { rps, p50Ms: pct('50'), p99Ms: pct('99'), requests, errors }
}

export interface WrkOptions {
  seconds: number
  /** Open connections (-c), on one wrk thread. */
  connections: number
  /** The wrk binary; `wrk` on the PATH by default. */
  wrk?: string
  /** A Lua script (-s) that shapes the requests. */
  script?: string
  /** Headers sent with every request (-H). */
  headers?: Record<string, string>
  /** wrk's socket timeout (--timeout), seconds; wrk's own default (2 s) when absent. */
  timeoutSeconds?: number
  /** `inherit` shows wrk's complaints as they come; `pipe` (default) keeps them in `out`. */
  stderr?: 'pipe' | 'inherit'
}

/**
 * One bounded wrk run against `url`: its output as printed (`out`) and as read.
 * Killed if it outlives its duration by 15 s.
 */
export function runWrk(url: string, o: WrkOptions): Promise<WrkResult & { out: string }> {
  const args = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency']
  if (o.timeoutSeconds !== undefined) args.push('--timeout', `${o.timeoutSeconds}s`)
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}: ${v}`)
  if (o.script !== undefined) args.push('-s', o.script)
  return new Promise((resolve, reject) => {
    const p = spawn(o.wrk ?? 'wrk', [...args, url], { stdio: ['ignore', 'pipe', o.stderr ?? 'pipe'] })
    let out = ''
    p.stdout?.on('data', (d) => (out += d))
    p.stderr?.on('data', (d) => (out += d)) // null when inherited
    const kill = setTimeout(() => p.kill('SIGKILL'), (o.seconds + 15) * 1000)
    p.on('close', () => (clearTimeout(kill), resolve({ ...parseWrk(out), out })))
    p.on('error', reject)
  })
}

/**
 * The diagnostics' load: 16 connections, each GET one route of the seed config
 * (routes/front-envoy.yaml) that the bare pass-through Worker answers too.
 */
export const wrkSeedRoute = (url: string, seconds: number) =>
  runWrk(`${url}/api/v1/svc0/items/42?page=2`, { seconds, connections: 16, headers: { Host: 'api.example.com' }, stderr: 'inherit' })

export interface ClientTimed {
  rps: number
  /** Each answered request's latency as the client timed it, µs, ascending (bench/wrk-client-timed.lua). */
  latenciesUs: number[]
  /** wrk's own output (its `WRK (wrk's corrected)` line among it). */
  out: string
}

/**
 * wrk with one connection per thread and bench/wrk-client-timed.lua: each
 * request timed by the client from request() to response(), without the
 * phantom samples wrk's coordinated-omission correction adds to its own
 * percentiles (BENCHMARKS.md, h-gc). `paceMs` > 0: each connection waits that
 * long after an answer (wrk's delay()), an offered rate below saturation.
 * Killed if it outlives its duration by 15 s.
 */
export function runClientTimed(url: string, o: { connections: number; seconds: number; paceMs: number; headers?: Record<string, string> }): Promise<ClientTimed> {
  const dir = mkdtempSync(join(tmpdir(), 'client-timed-'))
  const script = fileURLToPath(new URL('./wrk-client-timed.lua', import.meta.url))
  const args = [String(o.seconds + 15), 'wrk', `-t${o.connections}`, `-c${o.connections}`, `-d${o.seconds}s`, '-s', script]
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}: ${v}`)
  return new Promise((resolve, reject) => {
    const p = spawn('timeout', [...args, url], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, OWN_DIR: dir, PACE_MS: String(o.paceMs) } })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.on('error', reject)
    p.on('close', () => {
      const latenciesUs = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map(Number)).filter(Number.isFinite).sort((a, b) => a - b)
      rmSync(dir, { recursive: true, force: true })
      resolve({ rps: Number(/Requests\/sec:\s+(\S+)/.exec(out)?.[1]), latenciesUs, out })
    })
  })
}

/** The q-quantile (0..1) of ascending values. */
export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
