/**
 * The one request header map, through `edgevoy dev` with real sockets — a
 * request the runtime made (its headers immutable), not one a test built:
 * the connection manager sanitizes the headers once (no copy of the Request,
 * context.ts withHeaders), and route matchers, a filter's change, the access
 * log's %REQ()%, a retry's replayed body, a mirror's shadow and the upstream
 * all see that one map.
 * Envoy: the connection manager mutates the request headers before the
 * filters and the router run, and filters share that map.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/header_sanitizing
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_filters
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startUpstream, type EchoBody, type Upstream } from '../support/upstream-server'
import { anyHost, bootstrapYaml, ROUTER, stdoutAccessLog } from '../support/envoy-config'
import { freePort, runCli, stopCli, type Cli } from './cli-process'

const MUTATION = {
  name: 'envoy.filters.http.header_mutation',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
    mutations: { request_mutations: [{ append: { header: { key: 'x-filter-added', value: 'by-the-filter' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' } }, { remove: 'x-filter-removed' }] },
  },
}

function config(port: number, shadowPort: number): string {
  return bootstrapYaml({
    hcm: {
      stat_prefix: 'headers',
      use_remote_address: true,
      merge_slashes: true,
      access_log: stdoutAccessLog('LOG %REQ(:PATH)% force=%REQ(X-ENVOY-FORCE-TRACE)% added=%REQ(X-FILTER-ADDED)% removed=%REQ(X-FILTER-REMOVED)% id=%REQ(X-REQUEST-ID)%\n'),
    },
    http_filters: [MUTATION, ROUTER],
    virtual_hosts: anyHost([
      // Would catch any request still carrying the client's x-envoy-force-trace (stripped from external requests).
      { match: { prefix: '/', headers: [{ name: 'x-envoy-force-trace', present_match: true }] }, direct_response: { status: 418, body: { inline_string: 'the matcher saw a stripped header' } } },
      { match: { prefix: '/mirror/' }, route: { cluster: 'up', request_mirror_policies: [{ cluster: 'shadow' }] } },
      { match: { prefix: '/retry/' }, route: { cluster: 'up', prefix_rewrite: '/status/', retry_policy: { retry_on: '5xx', num_retries: 1 } } },
      { match: { prefix: '/' }, route: { cluster: 'up' } },
    ]),
    clusters: { up: [port], shadow: [shadowPort] },
  })
}

/** A GET over node:http, which (unlike fetch) sends a client's own Connection header as written. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the request headers after the connection manager, through edgevoy dev', () => {
  let dir: string
  let cli: Cli
  let up: Upstream
  let shadow: Upstream
  let base: string
  const logged = (id: string) => cli.output().split('\n').filter((l) => l.startsWith('LOG ') && l.endsWith(`id=${id}`))

  beforeAll(async () => {
    up = await startUpstream({ id: 'headers-dev' })
    shadow = await startUpstream({ id: 'headers-dev-shadow' })
    dir = mkdtempSync(join(tmpdir(), 'edgevoy-request-headers-'))
    writeFileSync(join(dir, 'edge.yaml'), config(up.port, shadow.port))
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    cli = runCli(['dev', '-c', join(dir, 'edge.yaml'), '--port', String(port)])
    await cli.waitFor(`serving on ${base}`)
  })
  afterAll(async () => {
    if (cli) await stopCli(cli, 'SIGTERM')
    await up?.close()
    await shadow?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("an untrusted client's x-envoy-* and hop-by-hop headers never reach the upstream nor a route matcher; the filter's header does", async () => {
    const res = await get(`${base}/x//echo`, {
        'x-envoy-force-trace': '1', 'x-envoy-max-retries': '5', 'x-envoy-upstream-rq-timeout-ms': '1', 'x-envoy-internal': 'true',
        connection: 'x-client-hop', 'x-client-hop': 'v', 'x-filter-removed': 'client', 'x-forwarded-proto': 'https', 'x-end-to-end': 'kept',
      // Miniflare keeps a client's CF-Connecting-IP, as Cloudflare would set it to the client's address.
      'cf-connecting-ip': '203.0.113.7',
    })
    expect(res.status, res.body).toBe(200)
    const echo = JSON.parse(res.body) as EchoBody
    const h = echo.headers
    expect(echo.url).toBe('/x/echo')
    expect([h['x-envoy-force-trace'], h['x-envoy-max-retries'], h['x-envoy-upstream-rq-timeout-ms'], h['x-envoy-internal'], h['x-client-hop'], h['x-filter-removed']]).toEqual([undefined, undefined, undefined, undefined, undefined, undefined])
    expect([h['x-filter-added'], h['x-end-to-end'], h['x-forwarded-proto'], h['x-forwarded-for'], h['x-envoy-external-address']]).toEqual(['by-the-filter', 'kept', 'http', '203.0.113.7', '203.0.113.7'])
    const id = h['x-request-id'] as string
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    // The access log reads the same map: the normalized path, no stripped header, the filter's change, the id sent upstream.
    await expect.poll(() => logged(id), { timeout: 5000 }).toEqual([`LOG /x/echo force=- added=by-the-filter removed=- id=${id}`])
  })

  it("a retried POST sends the client's body (its own stream, not a copy's) on both tries, with the sanitized headers", async () => {
    const before = up.requests
    const res = await fetch(`${base}/retry/503`, { method: 'POST', body: 'hello body', headers: { 'content-type': 'text/plain', 'x-envoy-max-retries': '0' } })
    expect(res.status).toBe(503)
    const echo = (await res.json()) as EchoBody
    // x-envoy-max-retries 0 from an external client is stripped: the route's one retry happens.
    expect(up.requests - before).toBe(2)
    expect(echo.bodyBytes).toBe(10)
    expect([echo.headers['x-envoy-max-retries'], echo.headers['x-filter-added']]).toEqual([undefined, 'by-the-filter'])
  })

  it('a mirror sends the shadow cluster the same sanitized map, with the filter\'s header, and the POST body teed', async () => {
    const res = await fetch(`${base}/mirror/echo`, { method: 'POST', body: 'mirrored', headers: { 'x-envoy-force-trace': '1', 'x-envoy-ip-tags': 'spoof' } })
    expect(res.status).toBe(200)
    const primary = (await res.json()) as EchoBody
    await expect.poll(() => shadow.last?.url, { timeout: 5000 }).toBe('/mirror/echo')
    for (const echo of [primary, shadow.last!]) {
      expect([echo.headers['x-envoy-force-trace'], echo.headers['x-envoy-ip-tags'], echo.headers['x-filter-added'], echo.bodyBytes]).toEqual([undefined, undefined, 'by-the-filter', 8])
    }
    expect(shadow.last!.headers['x-request-id']).toBe(primary.headers['x-request-id'])
  })
})
