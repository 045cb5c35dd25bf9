/**
 * Hop-by-hop headers, written as the attack: `Connection: <name>` used to
 * delete any header by name — including ones edgevoy or a filter set. Now the
 * standard list (RFC 9110 §7.6.1; Envoy's ConnectionManagerUtility) is always
 * removed, and a name the client lists in Connection removes only the
 * client's own header, before any filter runs.
 * https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers
 */
import { describe, expect, inject, it } from 'vitest'
import { edgeListener } from '../support/edge-listener'

const upstream = inject('upstreams').a!
const CLIENT = '203.0.113.7'

/**
 * A filter that sets a request header: local_ratelimit in shadow mode adds
 * `x-filter-set` to requests over the limit (request_headers_to_add_when_not_enforced);
 * the one token goes to the first request.
 */
const SHADOW_LIMIT = {
  name: 'envoy.filters.http.local_ratelimit',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
    stat_prefix: 'edge_hop_by_hop',
    token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '3600s' },
    filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
    filter_enforced: { default_value: { numerator: 0, denominator: 'HUNDRED' } },
    request_headers_to_add_when_not_enforced: [{ header: { key: 'x-filter-set', value: 'from-a-filter' } }],
  },
}
const routes = [
  {
    match: { prefix: '/' },
    route: { cluster: 'echo' },
    request_headers_to_add: [{ header: { key: 'x-route-set', value: 'from-the-route' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
  },
]
const { send, echo } = edgeListener({ upstream, routes, filters: [SHADOW_LIMIT], hcm: { use_remote_address: true, upgrade_configs: [{ upgrade_type: 'websocket' }] } })

describe('Connection-nominated headers', () => {
  it("removes the client's own nominated header, and the standard hop-by-hop list (this request takes the bucket's one token)", async () => {
    const body = await echo(
      await send('/x', {
        headers: { 'cf-connecting-ip': CLIENT, connection: 'keep-alive, x-client-hop', 'x-client-hop': 'secret', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive', te: 'gzip', 'x-end-to-end': 'kept' },
      }),
    )
    expect(body.headers['x-client-hop']).toBeUndefined()
    expect(body.headers['keep-alive']).toBeUndefined()
    expect(body.headers['proxy-connection']).toBeUndefined()
    expect(body.headers.te).toBeUndefined()
    expect(body.headers['x-end-to-end']).toBe('kept')
  })

  it('cannot delete a header edgevoy sets (x-forwarded-for, x-forwarded-proto, x-request-id, x-envoy-external-address) or a route/filter sets', async () => {
    const body = await echo(
      await send('/x', {
        headers: { 'cf-connecting-ip': CLIENT, connection: 'x-forwarded-for, x-forwarded-proto, x-request-id, x-envoy-external-address, x-filter-set, x-route-set, x-envoy-expected-rq-timeout-ms' },
      }),
    )
    expect(body.headers['x-forwarded-for']).toBe(CLIENT)
    expect(body.headers['x-forwarded-proto']).toBe('http')
    expect(body.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(body.headers['x-envoy-external-address']).toBe(CLIENT)
    expect(body.headers['x-filter-set']).toBe('from-a-filter')
    expect(body.headers['x-route-set']).toBe('from-the-route')
    expect(body.headers['x-envoy-expected-rq-timeout-ms']).toBe('15000')
  })

  it('cannot delete what the platform set: CF-Connecting-IP still decides the remote address', async () => {
    const body = await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, connection: 'cf-connecting-ip, host' } }))
    expect(body.headers['x-envoy-external-address']).toBe(CLIENT)
    expect(body.headers['x-forwarded-host']).toBe('edge.example.com')
  })
})

describe('bodies', () => {
  it('a request body streams through the connection manager stage untouched', async () => {
    const body = await echo(await send('/upload', { method: 'POST', headers: { 'cf-connecting-ip': CLIENT, 'content-type': 'text/plain' }, body: 'x'.repeat(100_000) }))
    expect(body.method).toBe('POST')
    expect(body.bodyBytes).toBe(100_000)
  })
})

describe('the downstream signal', () => {
  it("survives the connection manager stage (the client's own Request, its headers replaced): a client that goes away cancels the upstream request", async () => {
    const controller = new AbortController()
    const started = Date.now()
    const pending = Promise.resolve(send('/slow/3000', { headers: { 'cf-connecting-ip': CLIENT }, signal: controller.signal }))
    setTimeout(() => controller.abort(), 100)
    const outcome = await pending.then((r: Response) => r.status, () => 'aborted')
    expect(outcome === 499 || outcome === 'aborted').toBe(true)
    expect(Date.now() - started).toBeLessThan(2500)
  })
})

describe('WebSocket upgrades', () => {
  it('keep Upgrade and Connection through the connection manager stage and the filters: 101 with a working socket', async () => {
    const res = await send('/ws', { headers: { 'cf-connecting-ip': CLIENT, upgrade: 'websocket', connection: 'Upgrade, x-client-hop', 'x-client-hop': '1' } })
    expect(res.status).toBe(101)
    const ws = res.webSocket!
    ws.accept()
    const message = new Promise<string>((resolve) => ws.addEventListener('message', (e) => resolve(String(e.data))))
    ws.send('through the edge')
    expect(await message).toBe('through the edge')
    ws.close(1000, 'done')
  })
})
