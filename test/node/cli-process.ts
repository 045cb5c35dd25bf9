/**
 * Running the real CLI as a user would (`node bin/edgevoy.mjs …`) from the
 * node tests: output captured, waiting for a line, stopping with a signal,
 * and checking that no process or port is left behind. Linux /proc only.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface Cli {
  readonly child: ChildProcess
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string
  /** Resolves once `pattern` appears in the output; rejects on timeout or exit. */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<void>
  /** Resolves with the exit code (null if killed by a signal). */
  readonly exited: Promise<number | null>
}

export function runCli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Cli {
  const child = spawn(process.execPath, [`${ROOT}/bin/edgevoy.mjs`, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const matches = (p: string | RegExp) => (typeof p === 'string' ? out.includes(p) : p.test(out))
  return {
    child,
    output: () => out,
    exited,
    async waitFor(pattern, timeoutMs = 40_000) {
      const deadline = Date.now() + timeoutMs
      while (!matches(pattern)) {
        if (child.exitCode !== null) throw new Error(`edgevoy exited (${child.exitCode}) before printing ${pattern}:\n${out}`)
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${out}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
  }
}

/** Run to completion: exit code and output. */
export async function runCliToEnd(args: string[], env?: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const cli = runCli(args, env)
  const code = await cli.exited
  // 'exit' can fire before the pipes are drained.
  await new Promise((r) => setTimeout(r, 20))
  return { code, output: cli.output() }
}

/** All descendants of `pid` (children, grandchildren…), from /proc/<pid>/stat's ppid field. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // pid (comm) state ppid …; comm may contain spaces, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parentOf.set(Number(entry), ppid)
    } catch {
      /* exited meanwhile */
    }
  }
  const found: number[] = []
  const queue = [pid]
  while (queue.length) {
    const parent = queue.shift()!
    for (const [child, ppid] of parentOf) if (ppid === parent) (found.push(child), queue.push(child))
  }
  return found
}

/**
 * Whatever the test came to: the CLI and every process it started are gone
 * afterwards, so a test that fails partway does not leave sidecars holding
 * the mesh's fixed ports for the next run. The tree is read before the CLI
 * is killed (its children are re-parented once it is gone); after a clean
 * stop it is empty.
 */
export function killTree(cli: Cli): void {
  const pid = cli.child.pid
  const tree = pid === undefined || cli.child.exitCode !== null ? [] : descendants(pid)
  cli.child.kill('SIGKILL')
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL')
    } catch {
      /* gone already */
    }
  }
}

/** `pid: command line`, for assertion messages about leftover processes. */
export function commandOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return `${pid} ${stat.slice(stat.indexOf('('), stat.lastIndexOf(')') + 3)}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`
  } catch {
    return `${pid}: (gone)`
  }
}

/**
 * Running, as opposed to gone or a zombie: an exited child whose parent has
 * exited too waits for pid 1 to reap it, which some container inits never do.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Whether 127.0.0.1:port can be bound (nothing listens there). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** A port the OS just handed out and took back. */
export async function freePort(): Promise<number> {
  const server = await listenOn(0)
  const port = (server.address() as { port: number }).port
  await new Promise((r) => server.close(r))
  return port
}

/** A TCP server holding `port` (for "port in use" cases). */
export function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.destroy())
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

/** Stop with `signal` and wait; returns the exit code. Kills with SIGKILL if it hangs, so tests never leak it. */
export async function stopCli(cli: Cli, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
  cli.child.kill(signal)
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), timeoutMs)
  const code = await cli.exited
  clearTimeout(timer)
  return code
}
