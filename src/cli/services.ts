/**
 * The mesh's services as child processes (`node mesh/service.mjs`), their
 * output prefixed per instance, stopped and awaited so none outlives us.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { ROOT } from './bundle.js'
import type { HopLog } from './hop-log.js'
import type { PlannedInstance } from './mesh-plan.js'
import { waitForPort } from './runtime.js'

const SERVICE = join(ROOT, 'mesh/service.mjs')
const STOP_GRACE_MS = 3000

export interface RunningService {
  readonly instance: PlannedInstance
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
}

export async function startService(instance: PlannedInstance, log: HopLog, stopping: () => boolean): Promise<RunningService> {
  const args = [SERVICE, '--name', instance.service, '--port', String(instance.port), '--instance', instance.label]
  if (instance.calls.length) args.push('--calls', instance.calls.join(','))
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  createInterface({ input: child.stdout! }).on('line', (l) => log.line(instance.label, l))
  createInterface({ input: child.stderr! }).on('line', (l) => log.line(instance.label, l, 'stderr'))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  void exited.then((code) => {
    if (!stopping()) log.line(instance.label, `exited (code ${code}); its hop now answers 503`, 'stderr')
  })
  const running = { instance, child, exited }
  // Fail fast if it dies before listening (bad port, syntax error), rather than waiting out the timeout.
  const died = exited.then((code) => Promise.reject(new Error(`${instance.label} exited (code ${code}) before listening on ${instance.port}`)))
  try {
    await Promise.race([waitForPort(instance.port, 5000), died])
  } catch (e) {
    await stopService(running)
    throw e
  }
  void died.catch(() => {})
  return running
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export async function stopService(s: RunningService): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return
  s.child.kill('SIGTERM')
  const timer = setTimeout(() => s.child.kill('SIGKILL'), STOP_GRACE_MS)
  await s.exited
  clearTimeout(timer)
}
