/**
 * vitest globalSetup (both projects): real upstream servers on 127.0.0.1.
 *
 * Provides, for `inject()` in Node and in workerd tests alike:
 *   upstreams        { a, b, c, slow: port }  shared, read-only: never kill or reconfigure them
 *   upstreamControl  port of the control API (see upstream-control.ts, control-client.ts)
 *   unusedPort       a port nothing listens on (connection refused)
 */
import { createServer } from 'node:net'
import type { TestProject } from 'vitest/node'
import { startControlServer } from './upstream-control'
import { startUpstream, type Upstream } from './upstream-server'

export const SHARED_UPSTREAMS = ['a', 'b', 'c', 'slow'] as const

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const upstreams = new Map<string, Upstream>()
  for (const id of SHARED_UPSTREAMS) upstreams.set(id, await startUpstream({ id }))
  const control = await startControlServer(upstreams)

  project.provide('upstreams', Object.fromEntries([...upstreams].map(([id, u]) => [id, u.port])))
  project.provide('upstreamControl', control.port)
  project.provide('unusedPort', await freePort())

  return async () => {
    await control.close()
    await Promise.all([...upstreams.values()].map((u) => u.close()))
  }
}

/** A port that was free a moment ago (the OS does not hand it out again right away). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
