/**
 * use_remote_address, x-forwarded-for / x-forwarded-proto and internal vs
 * external requests, written as the attack: a client forges x-forwarded-proto,
 * x-envoy-force-trace, x-envoy-original-path, x-envoy-upstream-rq-timeout-ms,
 * x-envoy-internal and x-request-id. `CF-Connecting-IP` is the remote address
 * (Cloudflare sets it); the request URL's scheme is the real one.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-proto
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-for
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/header_sanitizing
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/best_practices/edge
 */
import { describe, expect, inject, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { inCidr, isIp } from '../../src/router/ip'
import { bootstrap } from '../support/config'
import { edgeListener } from '../support/edge-listener'

const upstream = inject('upstreams').a!
const CLIENT = '203.0.113.7'
const routes = [
  { match: { prefix: '/https-only', headers: [{ name: ':scheme', string_match: { exact: 'https' } }] }, direct_response: { status: 200, body: { inline_string: 'https only' } } },
  { match: { prefix: '/https-only' }, direct_response: { status: 200, body: { inline_string: 'http' } } },
  { match: { prefix: '/go' }, redirect: { path_redirect: '/there' } },
  { match: { prefix: '/' }, route: { cluster: 'echo', timeout: '5s' } },
]
const edge = (hcm: Record<string, unknown> = {}, isInternal?: (r: Request) => boolean) => edgeListener({ upstream, routes, hcm: { use_remote_address: true, ...hcm }, isInternal })
const forgedHttps = { 'cf-connecting-ip': CLIENT, 'x-forwarded-proto': 'https' }

describe('use_remote_address: true — a forged x-forwarded-proto changes nothing', () => {
  const { send, echo, lines } = edge()
  it('scheme matching, redirects and the upstream all see the real scheme (http)', async () => {
    expect(await (await send('/https-only', { headers: forgedHttps })).text()).toBe('http')
    const redirect = await send('/go', { headers: forgedHttps })
    expect(redirect.headers.get('location')).toBe('http://edge.example.com/there')
    const body = await echo(await send('/x', { headers: forgedHttps }))
    expect(body.headers['x-forwarded-proto']).toBe('http')
    expect(lines.at(-1)).toMatch(/ http 200$/)
  })
  it('over https the real scheme is https', async () => {
    expect(await (await send('', { url: 'https://edge.example.com/https-only', headers: { 'cf-connecting-ip': CLIENT, 'x-forwarded-proto': 'http' } })).text()).toBe('https only')
  })
  it('appends the remote address to x-forwarded-for and sets x-envoy-external-address', async () => {
    lines.length = 0
    const body = await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-forwarded-for': '198.51.100.1' } }))
    expect(body.headers['x-forwarded-for']).toBe(`198.51.100.1, ${CLIENT}`)
    expect(body.headers['x-envoy-external-address']).toBe(CLIENT)
    expect(lines.at(-1)!.split(' ')[3]).toBe(CLIENT)
  })
})

describe('use_remote_address: true — forged x-envoy-* control headers from an external client have no effect', () => {
  const { send, echo, lines } = edge({ tracing: { random_sampling: { value: 0 } } })
  it('x-envoy-upstream-rq-timeout-ms: 1 does not cut a 300 ms answer; x-envoy-retry-on never reaches the upstream', async () => {
    const body = await echo(await send('/slow/300', { headers: { 'cf-connecting-ip': CLIENT, 'x-envoy-upstream-rq-timeout-ms': '1', 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '9' } }))
    expect(body.headers['x-envoy-upstream-rq-timeout-ms']).toBeUndefined()
    expect(body.headers['x-envoy-retry-on']).toBeUndefined()
    expect(body.headers['x-envoy-max-retries']).toBeUndefined()
    expect(body.headers['x-envoy-expected-rq-timeout-ms']).toBe('5000')
  })
  it('x-envoy-force-trace does not force sampling (random_sampling 0)', async () => {
    const body = await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-envoy-force-trace': 'true' } }))
    expect(body.headers['x-b3-sampled']).toBe('0')
    expect(body.headers['x-envoy-force-trace']).toBeUndefined()
  })
  it('x-envoy-original-path reaches neither the access log nor the upstream; x-envoy-internal is dropped', async () => {
    lines.length = 0
    const body = await echo(await send('/real', { headers: { 'cf-connecting-ip': CLIENT, 'x-envoy-original-path': '/forged', 'x-envoy-internal': 'true' } }))
    expect(body.headers['x-envoy-original-path']).toBeUndefined()
    expect(body.headers['x-envoy-internal']).toBeUndefined()
    expect(lines.at(-1)!.split(' ').slice(0, 2)).toEqual(['/real', '/real'])
  })
  it('the client x-request-id is replaced (preserve_external_request_id defaults to false); log and upstream agree', async () => {
    lines.length = 0
    const body = await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-request-id': 'chosen-by-client' } }))
    expect(body.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(lines.at(-1)!.split(' ')[2]).toBe(body.headers['x-request-id'])
  })
})

describe('an internal caller (RouterDeps.trustEnvoyHeaders) keeps its x-envoy-* headers', () => {
  const internal = (r: Request) => r.headers.get('x-test-caller') === 'sidecar'
  const { send, echo } = edge({ tracing: { random_sampling: { value: 0 } } }, internal)
  it('x-envoy-upstream-rq-timeout-ms cuts the answer (504), x-envoy-force-trace samples, x-envoy-internal: true goes upstream', async () => {
    const headers = { 'x-test-caller': 'sidecar', 'x-envoy-upstream-rq-timeout-ms': '100' }
    expect((await send('/slow/1000', { headers })).status).toBe(504)
    const body = await echo(await send('/x', { headers: { 'x-test-caller': 'sidecar', 'x-envoy-force-trace': 'true', 'x-request-id': 'kept-internal' } }))
    expect(body.headers['x-b3-sampled']).toBe('1')
    expect(body.headers['x-envoy-internal']).toBe('true')
    expect(body.headers['x-request-id']).toBe('kept-internal')
    expect(body.headers['x-envoy-external-address']).toBeUndefined()
  })
})

describe('internal_address_config', () => {
  const tenNet = { internal_address_config: { cidr_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] } }
  it('a remote address in cidr_ranges, with no x-forwarded-for, is internal: its x-envoy-* headers count', async () => {
    const { send, echo } = edge(tenNet)
    expect((await send('/slow/1000', { headers: { 'cf-connecting-ip': '10.1.2.3', 'x-envoy-upstream-rq-timeout-ms': '100' } })).status).toBe(504)
    expect((await echo(await send('/x', { headers: { 'cf-connecting-ip': '10.1.2.3' } }))).headers['x-envoy-internal']).toBe('true')
  })
  it('the same address with an x-forwarded-for (a proxied request), or an address outside the ranges, is external', async () => {
    const { send, echo } = edge(tenNet)
    const proxied = await echo(await send('/x', { headers: { 'cf-connecting-ip': '10.1.2.3', 'x-forwarded-for': '203.0.113.7', 'x-envoy-retry-on': '5xx' } }))
    expect(proxied.headers['x-envoy-internal']).toBeUndefined()
    expect(proxied.headers['x-envoy-retry-on']).toBeUndefined()
    expect((await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT } }))).headers['x-envoy-internal']).toBeUndefined()
  })
  it('without internal_address_config no address is internal (Envoy ≥ 1.36), not even a private one', async () => {
    const { send, echo } = edge()
    expect((await echo(await send('/x', { headers: { 'cf-connecting-ip': '10.1.2.3' } }))).headers['x-envoy-internal']).toBeUndefined()
  })
  it('with use_remote_address: false a single forged private x-forwarded-for makes a request internal — as in Envoy, and why validate warns', async () => {
    const { send, echo } = edgeListener({ upstream, routes, hcm: { internal_address_config: {} } })
    expect((await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-forwarded-for': '192.168.1.5' } }))).headers['x-envoy-internal']).toBe('true')
    const fixed = edge({ internal_address_config: {} })
    expect((await fixed.echo(await fixed.send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-forwarded-for': '192.168.1.5' } }))).headers['x-envoy-internal']).toBeUndefined()
  })
})

describe("use_remote_address: false (Envoy's default) behaves as Envoy's", () => {
  const { send, echo, lines } = edgeListener({ upstream, routes, hcm: { tracing: { random_sampling: { value: 0 } } } })
  it("trusts the client's x-forwarded-proto, does not append x-forwarded-for, keeps the client's x-request-id", async () => {
    expect(await (await send('/https-only', { headers: forgedHttps })).text()).toBe('https only')
    const body = await echo(await send('/x', { headers: { ...forgedHttps, 'x-forwarded-for': '198.51.100.1', 'x-request-id': 'client-id' } }))
    expect(body.headers['x-forwarded-proto']).toBe('https')
    expect(body.headers['x-forwarded-for']).toBe('198.51.100.1')
    expect(body.headers['x-envoy-external-address']).toBeUndefined()
    expect(body.headers['x-request-id']).toBe('client-id')
  })
  it('the request is still external: retry/timeout/force-trace headers are removed, edge-only x-envoy-original-path is kept', async () => {
    lines.length = 0
    const body = await echo(await send('/x', { headers: { 'x-envoy-force-trace': '1', 'x-envoy-upstream-rq-timeout-ms': '1', 'x-envoy-original-path': '/client-said' } }))
    expect(body.headers['x-b3-sampled']).toBe('0')
    expect(body.headers['x-envoy-upstream-rq-timeout-ms']).toBeUndefined()
    expect(body.headers['x-envoy-original-path']).toBe('/client-said')
    expect(lines.at(-1)!.split(' ')[1]).toBe('/client-said')
  })
  it('without x-forwarded-proto the real scheme is set', async () => {
    expect((await echo(await send('/x'))).headers['x-forwarded-proto']).toBe('http')
  })
})

describe('validate', () => {
  const warnings = (address: string, hcm: Record<string, unknown>) => {
    const doc = bootstrap({
      listener: { address: { socket_address: { address, port_value: 8080 } } },
      virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }] }],
      hcm,
    })
    const r = loadConfig(JSON.stringify(doc))
    expect(r.ok).toBe(true)
    return r.warnings.map((w) => w.message).filter((m) => m.includes('use_remote_address'))
  }
  it("warns, citing Envoy's edge best practices, when a listener that can face the internet lacks use_remote_address: true", () => {
    for (const address of ['0.0.0.0', '::', '198.51.100.20']) {
      const found = warnings(address, {})
      expect(found).toHaveLength(1)
      expect(found[0]).toContain('https://www.envoyproxy.io/docs/envoy/latest/configuration/best_practices/edge')
    }
  })
  it('is quiet with use_remote_address: true, or on loopback / private addresses', () => {
    expect(warnings('0.0.0.0', { use_remote_address: true })).toEqual([])
    expect(warnings('0.0.0.0', { use_remote_address: { value: true } })).toEqual([])
    for (const address of ['127.0.0.1', '10.1.2.3', '192.168.0.5', '::1']) expect(warnings(address, {})).toEqual([])
  })
  it('acts on normalize_path / merge_slashes / path_with_escaped_slashes_action instead of warning them away', () => {
    const doc = bootstrap({ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }] }], hcm: { use_remote_address: true, normalize_path: true, merge_slashes: true, path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT' } })
    const r = loadConfig(JSON.stringify(doc))
    expect(r.warnings.map((w) => w.message)).toEqual([])
    const bad = loadConfig(JSON.stringify(bootstrap({ virtual_hosts: [], hcm: { path_with_escaped_slashes_action: 'UNESCAPE' } })))
    expect(bad.errors[0]?.message).toMatch(/expected one of/)
  })
})

describe('addresses', () => {
  it('parses x-forwarded-for entries as Envoy does (IP literals only) and matches CIDR ranges', () => {
    expect(['203.0.113.7', '::1', '2001:db8::7', 'fd00::1'].every(isIp)).toBe(true)
    expect(['1.2.3.999', 'example.com', '1.2.3.4:80', 'unknown', '2001:db8:::1'].some(isIp)).toBe(false)
    expect(inCidr('10.0.0.0', 8)('10.255.1.1')).toBe(true)
    expect(inCidr('10.0.0.0', 8)('11.0.0.1')).toBe(false)
    expect(inCidr('fd00::', 8)('fd12:3456::1')).toBe(true)
    expect(inCidr('fd00::', 8)('fe80::1')).toBe(false)
    expect(inCidr('127.0.0.1', undefined)('127.0.0.2')).toBe(false)
    expect(inCidr('10.0.0.0', 8)('::ffff:10.0.0.1')).toBe(false)
  })
})
