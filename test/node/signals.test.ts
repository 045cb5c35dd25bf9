/**
 * SIGTERM to `npx` (issue 15): npm runs the CLI under `sh -c`, and a signal
 * to npm/npx may end that shell without reaching edgevoy. edgevoy notices it
 * was re-parented and stops like on SIGHUP: no process and no bound port left.
 */
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ROOT, commandOf, descendants, freePort, isAlive, isPortFree } from './cli-process'

describe('signals through npx', () => {
  it('SIGTERM to npx leaves no edgevoy, no workerd and no bound port', async () => {
    const port = await freePort()
    const npx = spawn('npx', ['edgevoy', 'dev', '-c', 'routes/examples/routing.yaml', '--port', String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ADMIN_TOKEN: '' } })
    let out = ''
    npx.stdout!.on('data', (d) => (out += d))
    npx.stderr!.on('data', (d) => (out += d))
    const deadline = Date.now() + 50_000
    while (!out.includes('serving on')) {
      if (Date.now() > deadline || npx.exitCode !== null) throw new Error(`dev did not start:\n${out}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const children = descendants(npx.pid!)
    expect(children.length).toBeGreaterThan(1) // sh, node (edgevoy), workerd
    npx.kill('SIGTERM')
    const gone = Date.now() + 10_000
    while (children.some(isAlive) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100))
    expect(children.filter(isAlive).map(commandOf)).toEqual([])
    expect(await isPortFree(port)).toBe(true)
  })
})
