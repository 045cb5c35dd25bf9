/**
 * The routing rules through `npx edgevoy dev`, as a user would try them with
 * routes/examples/routing.yaml: host, path, prefix, regex, header and query
 * matching; rewrites, a redirect, direct responses and weighted clusters.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto
 */
import { createServer, request, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, runCli, stopCli } from './cli-process'

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A request with its own Host header (fetch() would not let us set it). */
function get(port: number, host: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...headers } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

function upstream(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => res.end(JSON.stringify({ upstream: name, path: req.url })))
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })))
}

describe('routes/examples/routing.yaml through edgevoy dev', () => {
  const ups: Record<string, { server: Server; port: number }> = {}
  let port = 0
  let cli: ReturnType<typeof runCli>
  beforeAll(async () => {
    for (const name of ['web', 'api', 'canary']) ups[name] = await upstream(name)
    port = await freePort()
    const resolve = Object.entries(ups).map(([n, u]) => `${n}=127.0.0.1:${u.port}`).join(',')
    cli = runCli(['dev', '-c', 'routes/examples/routing.yaml', '--port', String(port), '--resolve', resolve])
    await cli.waitFor(`serving on http://127.0.0.1:${port}`)
  })
  afterAll(async () => {
    await stopCli(cli, 'SIGTERM')
    for (const u of Object.values(ups)) u.server.close()
  })
  const json = (a: Answer) => JSON.parse(a.body) as { upstream: string; path: string }

  it('picks the virtual host by exact and wildcard domain, and 404s an unknown one', async () => {
    expect(json(await get(port, 'api.example.com', '/orders')).upstream).toBe('api')
    expect(json(await get(port, 'shop.example.com', '/')).upstream).toBe('web')
    expect(json(await get(port, 'example.com:8787', '/')).upstream).toBe('web') // strip_any_host_port
    expect((await get(port, 'other.test', '/')).status).toBe(404)
  })
  it('matches safe_regex with regex_rewrite, headers and query parameters, in order', async () => {
    expect(json(await get(port, 'api.example.com', '/v2/users/42'))).toEqual({ upstream: 'api', path: '/users/42' })
    expect(json(await get(port, 'api.example.com', '/v2/users/42', { 'x-beta': '1' })).path).toBe('/users/42') // the regex route comes first
    expect(json(await get(port, 'api.example.com', '/orders', { 'x-beta': '1' })).upstream).toBe('canary')
    const debug = await get(port, 'api.example.com', '/orders?debug=true')
    expect([debug.status, debug.body]).toEqual([200, 'debug mode\n'])
    expect(json(await get(port, 'api.example.com', '/orders?x=1'))).toEqual({ upstream: 'api', path: '/api/orders?x=1' })
  })
  it('answers direct responses and redirects at the edge', async () => {
    const ok = await get(port, 'example.com', '/healthz')
    expect([ok.status, ok.body]).toEqual([200, 'ok\n'])
    const moved = await get(port, 'example.com', '/docs/intro?lang=en')
    expect(moved.status).toBe(302)
    expect(moved.headers.location).toBe('http://example.com/manual/intro?lang=en')
  })
  it('shifts traffic 90/10 with weighted_clusters and adds response headers', async () => {
    const counts: Record<string, number> = {}
    for (let i = 0; i < 200; i++) {
      const a = json(await get(port, 'example.com', '/shop/cart'))
      counts[a.upstream] = (counts[a.upstream] ?? 0) + 1
    }
    expect(counts.web! + counts.canary!).toBe(200)
    expect(counts.canary).toBeGreaterThan(5)
    expect(counts.canary).toBeLessThan(40)
    expect((await get(port, 'example.com', '/x')).headers['x-served-by']).toBe('edgevoy')
  })
})
