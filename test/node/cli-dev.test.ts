/**
 * `edgevoy dev -c FILE`: one listener served by workerd through Miniflare, in
 * front of real upstreams on 127.0.0.1. STRICT_DNS with a name resolving to
 * two addresses makes two hosts, and ROUND_ROBIN rotates through them:
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/service_discovery#strict-dns
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#weighted-round-robin
 */
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commandOf, descendants, freePort, isAlive, isPortFree, killTree, listenOn, runCli, runCliToEnd, stopCli } from './cli-process'

/** An upstream answering with its own name, so the test sees which host served. */
function upstream(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ upstream: name, path: req.url, requestId: req.headers['x-request-id'] ?? null }))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })))
}

describe('edgevoy dev', () => {
  let one: { server: Server; port: number }
  let two: { server: Server; port: number }
  beforeAll(async () => {
    one = await upstream('one')
    two = await upstream('two')
  })
  afterAll(() => {
    one.server.close()
    two.server.close()
  })

  it('serves the listener, rotates across both hosts, logs each request, and SIGTERM leaves nothing behind', async () => {
    const port = await freePort()
    // The front proxy's cluster points at service_a_envoy:8786; resolve that name to both upstreams.
    const cli = runCli(['dev', '-c', 'routes/front-envoy.yaml', '--port', String(port), '--resolve', `service_a_envoy=127.0.0.1:${one.port},service_a_envoy=127.0.0.1:${two.port}`])
    try {
      await cli.waitFor(`edgevoy: listener "http_listener" serving on http://127.0.0.1:${port}`)
      // A name --resolve maps gets no "looks like a docker-compose name" hint.
      expect(cli.output()).not.toContain('docker-compose name')
      const served: string[] = []
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/hello?i=${i}`)
        expect(res.status).toBe(200)
        const body = (await res.json()) as { upstream: string; path: string; requestId: string | null }
        expect(body.path).toBe(`/hello?i=${i}`)
        expect(body.requestId).toBeTruthy()
        served.push(body.upstream)
      }
      // Strict rotation from a random start: never the same host twice in a row, 3 each.
      for (let i = 1; i < served.length; i++) expect(served[i]).not.toBe(served[i - 1])
      expect(served.filter((s) => s === 'one')).toHaveLength(3)
      await cli.waitFor(/GET \/hello\?i=5 -> 200|GET \/hello -> 200 .*\n(.*\n)*.*GET \/hello -> 200/)
      expect(cli.output()).toMatch(new RegExp(`GET /hello\\S* -> 200 upstream=127\\.0\\.0\\.1:(${one.port}|${two.port})`))

      const children = descendants(cli.child.pid!)
      expect(children.length).toBeGreaterThan(0) // workerd, at least
      expect(await stopCli(cli, 'SIGTERM')).toBe(0)
      expect(cli.output()).toContain('SIGTERM, stopping')
      await new Promise((r) => setTimeout(r, 200))
      expect(children.filter(isAlive).map(commandOf)).toEqual([])
      expect(await isPortFree(port)).toBe(true)
    } finally {
      killTree(cli)
    }
  })

  it('refuses a busy port (naming its holder) and an unknown listener (naming the real ones)', async () => {
    const holder = await listenOn(await freePort())
    const port = (holder.address() as { port: number }).port
    try {
      const [busy, unknown] = await Promise.all([
        runCliToEnd(['dev', '-c', 'routes/front-envoy.yaml', '--port', String(port)]),
        runCliToEnd(['dev', '-c', 'routes/service-a.yaml', '--listener', 'nope', '--port', String(port)]),
      ])
      expect(busy.code).toBe(1)
      expect(busy.output).toContain(`port ${port} is already in use by pid ${process.pid} (`)
      // Without --resolve, the article's compose name is pointed out with the flag that maps it.
      expect(busy.output).toContain('edgevoy: hint: "service_a_envoy" looks like a docker-compose name; map it with --resolve service_a_envoy=127.0.0.1[:PORT]')
      expect(unknown.code).toBe(1)
      expect(unknown.output).toContain('no listener "nope" in routes/service-a.yaml; it has "service-a-svc-http-listener", "service-b-svc-http-listener", "service-c-svc-http-listener"')
    } finally {
      holder.close()
    }
  })
})
