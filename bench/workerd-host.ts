/**
 * What every workerd bench needs from the host: the upstream they all answer
 * from, free ports for Miniflare's sockets, and the CPU time of the workerd
 * processes this process started (from /proc, so it counts workerd alone).
 */
import { readdirSync, readFileSync } from 'node:fs'
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

/** User + system clock ticks of these processes (utime, stime). */
export function workerdCpuTicks(pids: readonly number[] = workerdPids()): number {
  let total = 0
  for (const pid of pids) {
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    total += Number(fields[11]) + Number(fields[12])
  }
  return total
}
