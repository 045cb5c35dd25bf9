/**
 * The fixed ports of the article's mesh (8080, 9901, 878x, 808x) and of the
 * docs' examples are used by several test files (mesh.test.ts, docs.test.ts);
 * vitest runs files in parallel, so they take turns through this lock: a
 * `flock` child holds it until released. The lock file is per checkout, so a
 * run already under `flock /tmp/edgevoy-mesh.lock` (GUIDE.md) does not deadlock.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'

export interface HeldLock {
  release(): Promise<void>
}

export function fixedPortsLockFile(root: string): string {
  return `/tmp/edgevoy-fixed-ports-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`
}

export function acquireFixedPorts(root: string, timeoutMs = 600_000): Promise<HeldLock> {
  const child = spawn('flock', ['-w', String(Math.ceil(timeoutMs / 1000)), fixedPortsLockFile(root), '-c', 'echo locked; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () =>
      resolve({
        async release() {
          child.stdin!.end()
          await exited
        },
      }),
    )
    child.once('exit', (code) => reject(new Error(`could not take ${fixedPortsLockFile(root)} (flock exited ${code})`)))
  })
}
