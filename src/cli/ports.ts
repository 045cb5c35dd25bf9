/**
 * Ports: is one free, and if not, who holds it. Checked for every port before
 * anything starts, so a clash is reported with the process to blame and
 * nothing is left half-started.
 */
import { createServer } from 'node:net'
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

/** Everything edgevoy serves locally listens on loopback only. */
export const LOCAL_HOST = '127.0.0.1'

/** Whether 127.0.0.1:port can be bound right now. */
export function isPortFree(port: number, host = LOCAL_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** "port 8080 is already in use by pid 1234 (node server.js)" — or without the holder if it cannot be found. */
export async function describePortHolder(port: number): Promise<string> {
  const holder = findHolderInProc(port) ?? findHolderWithLsof(port)
  return `port ${port} is already in use${holder ? ` by ${holder}` : ''}`
}

/** Every port of `ports` that is taken, described; empty when all are free. */
export async function portsInUse(ports: readonly number[]): Promise<string[]> {
  const taken: string[] = []
  for (const port of new Set(ports)) if (!(await isPortFree(port))) taken.push(await describePortHolder(port))
  return taken
}

/** Linux: the pid listening on `port`, when /proc shows it. */
export function listeningPid(port: number): number | undefined {
  const holder = findHolderInProc(port)
  const m = holder && /^pid (\d+)/.exec(holder)
  return m ? Number(m[1]) : undefined
}

/** Linux: the LISTEN socket's inode from /proc/net/tcp{,6}, then the process whose fd links to it. */
function findHolderInProc(port: number): string | undefined {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const row of text.split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/)
      // cols: sl local_address rem_address st ... uid timeout inode; st 0A = LISTEN
      const local = cols[1]
      if (!local || cols[3] !== '0A') continue
      if (parseInt(local.split(':')[1] ?? '', 16) === port && cols[9]) inodes.add(cols[9])
    }
  }
  if (!inodes.size) return undefined
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return undefined
  }
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (m && inodes.has(m[1]!)) return `pid ${pid} (${commandLine(pid)})`
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return 'a process of another user (not visible from /proc)'
}

function commandLine(pid: string): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
    return cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd
  } catch {
    return 'unknown command'
  }
}

/** Elsewhere (macOS has no /proc): lsof, if present. */
function findHolderWithLsof(port: number): string | undefined {
  try {
    const out = execFileSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
    const row = out.split('\n')[1]?.trim().split(/\s+/)
    return row && row[1] ? `pid ${row[1]} (${row[0]})` : undefined
  } catch {
    return undefined
  }
}
