/**
 * A control channel to the test upstreams, for code that cannot reach the Node
 * objects (tests inside workerd). Served by global-setup on 127.0.0.1:
 *
 *   GET  /upstreams                 { [id]: UpstreamState }
 *   GET  /upstreams/:id             UpstreamState
 *   POST /upstreams/:id             start a new upstream named :id (or return the existing one)
 *   POST /upstreams/:id/kill        stop listening, destroy sockets (connects are refused)
 *   POST /upstreams/:id/restart     listen again on the same port
 *   POST /upstreams/:id/behavior    body: UpstreamBehavior JSON (replaces the previous one)
 *   POST /control-planes/:id        start an xDS control plane named :id (control-plane.ts) → { port }
 *
 * Every call answers the upstream's state. `controlClient()` wraps it with fetch.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readBody, reply } from './http-json'
import type { Upstream } from './upstream-server'
import type { UpstreamBehavior, UpstreamState } from './upstream-types'
import { startUpstream } from './upstream-server'
import { startControlPlane, type ControlPlane } from './control-plane'

const stateOf = (u: Upstream): UpstreamState => ({
  id: u.id,
  port: u.port,
  requests: u.requests,
  listening: u.listening,
  behavior: { ...u.behavior },
  last: u.last,
})

/** Serves the control API over `upstreams` (which it adds to on `POST /upstreams/:id`). */
export async function startControlServer(upstreams: Map<string, Upstream>): Promise<{ port: number; close(): Promise<void> }> {
  const planes = new Map<string, ControlPlane>()
  const server = createServer((req, res) => {
    void route(req, res).catch((error: unknown) => reply(res, 500, { error: String(error) }))
  })

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req)
    const [, root, id, action] = new URL(req.url ?? '/', 'http://control').pathname.split('/')
    if (root === 'control-planes' && id && req.method === 'POST') {
      const plane = planes.get(id) ?? (await startControlPlane())
      planes.set(id, plane)
      return reply(res, 200, { port: plane.port })
    }
    if (root !== 'upstreams') return reply(res, 404, { error: 'not found' })
    if (id === undefined || id === '') {
      return reply(res, 200, Object.fromEntries([...upstreams].map(([k, u]) => [k, stateOf(u)])))
    }
    let upstream = upstreams.get(id)
    if (req.method === 'POST' && action === undefined && !upstream) {
      upstream = await startUpstream({ id })
      upstreams.set(id, upstream)
    }
    if (!upstream) return reply(res, 404, { error: `no upstream ${id}` })
    if (req.method === 'POST' && action === 'kill') await upstream.kill()
    else if (req.method === 'POST' && action === 'restart') await upstream.restart()
    else if (req.method === 'POST' && action === 'behavior') upstream.setBehavior(JSON.parse(body || '{}') as UpstreamBehavior)
    else if (action !== undefined) return reply(res, 404, { error: `unknown action ${action}` })
    reply(res, 200, stateOf(upstream))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await Promise.all([...planes.values()].map((p) => p.close()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
