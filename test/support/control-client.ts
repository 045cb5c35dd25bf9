/**
 * Drives the test upstreams from anywhere `fetch` works (workerd included).
 *
 *   const control = controlClient(inject('upstreamControl'))
 *   const { port } = await control.start('my-file-x')   // a private upstream for this file
 *   await control.kill('my-file-x')
 *
 * Test files run in parallel and share the named upstreams from global-setup:
 * treat `a`, `b`, `c`, `slow` as read-only, and `start()` a private upstream
 * (unique id) for anything that kills, restarts or changes behaviour.
 * Note `requests` counts are shared too: compare before/after, never absolute.
 */
import type { UpstreamBehavior, UpstreamState } from './upstream-types'

export type { EchoBody, UpstreamBehavior, UpstreamState } from './upstream-types'

export interface ControlClient {
  state(id: string): Promise<UpstreamState>
  /** Starts an upstream with this id on a free port (idempotent). */
  start(id: string): Promise<UpstreamState>
  kill(id: string): Promise<UpstreamState>
  restart(id: string): Promise<UpstreamState>
  setBehavior(id: string, behavior: UpstreamBehavior): Promise<UpstreamState>
}

export function controlClient(port: number): ControlClient {
  const call = async (method: string, path: string, body?: unknown): Promise<UpstreamState> => {
    const res = await fetch(`http://127.0.0.1:${port}/upstreams/${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`upstream control ${method} ${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as UpstreamState
  }
  return {
    state: (id) => call('GET', encodeURIComponent(id)),
    start: (id) => call('POST', encodeURIComponent(id)),
    kill: (id) => call('POST', `${encodeURIComponent(id)}/kill`),
    restart: (id) => call('POST', `${encodeURIComponent(id)}/restart`),
    setBehavior: (id, behavior) => call('POST', `${encodeURIComponent(id)}/behavior`, behavior),
  }
}
