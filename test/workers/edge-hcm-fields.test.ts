/**
 * Connection manager and route configuration fields that used to be accepted
 * and ignored, each written as the attack it stops: internal_only_headers,
 * require_tls (ALL / EXTERNAL_ONLY), preserve_external_request_id,
 * xff_num_trusted_hops and skip_xff_append.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route.proto#envoy-v3-api-field-config-route-v3-routeconfiguration-internal-only-headers
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-enum-config-route-v3-virtualhost-tlsrequirementtype
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-for
 */
import { describe, expect, inject, it } from 'vitest'
import { edgeListener } from '../support/edge-listener'

const upstream = inject('upstreams').a!
const CLIENT = '203.0.113.7'
const sidecar = (r: Request) => r.headers.get('x-test-caller') === 'sidecar'

describe('internal_only_headers', () => {
  const { send, echo } = edgeListener({ upstream, routeConfig: { internal_only_headers: ['X-Internal-User'] }, hcm: { use_remote_address: true }, isInternal: sidecar })
  it('an external client cannot send one (any case) to the upstream', async () => {
    const body = await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-internal-user': 'admin' } }))
    expect(body.headers['x-internal-user']).toBeUndefined()
  })
  it('an internal caller can', async () => {
    expect((await echo(await send('/x', { headers: { 'x-test-caller': 'sidecar', 'x-internal-user': 'svc-b' } }))).headers['x-internal-user']).toBe('svc-b')
  })
})

describe('require_tls', () => {
  it('ALL: plain http gets a 301 to https at the same authority and path, whatever x-forwarded-proto the client forges', async () => {
    const { send } = edgeListener({ upstream, vhost: { require_tls: 'ALL' }, hcm: { use_remote_address: true } })
    const res = await send('/account?id=1', { headers: { 'cf-connecting-ip': CLIENT, 'x-forwarded-proto': 'https' } })
    expect(res.status).toBe(301)
    expect(res.headers.get('location')).toBe('https://edge.example.com/account?id=1')
    expect((await send('', { url: 'https://edge.example.com/account', headers: { 'cf-connecting-ip': CLIENT } })).status).toBe(200)
  })
  it('ALL also redirects internal callers; EXTERNAL_ONLY spares them', async () => {
    const all = edgeListener({ upstream, vhost: { require_tls: 'ALL' }, hcm: { use_remote_address: true }, isInternal: sidecar })
    expect((await all.send('/x', { headers: { 'x-test-caller': 'sidecar' } })).status).toBe(301)
    const ext = edgeListener({ upstream, vhost: { require_tls: 'EXTERNAL_ONLY' }, hcm: { use_remote_address: true }, isInternal: sidecar })
    expect((await ext.send('/x', { headers: { 'x-test-caller': 'sidecar' } })).status).toBe(200)
    expect((await ext.send('/x', { headers: { 'cf-connecting-ip': CLIENT } })).status).toBe(301)
    // A forged x-envoy-internal does not make a client internal.
    expect((await ext.send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-envoy-internal': 'true' } })).status).toBe(301)
  })
  it('NONE (the default) forwards plain http', async () => {
    const { send } = edgeListener({ upstream, hcm: { use_remote_address: true } })
    expect((await send('/x', { headers: { 'cf-connecting-ip': CLIENT } })).status).toBe(200)
  })
})

describe('preserve_external_request_id', () => {
  it('true: the edge keeps the client x-request-id', async () => {
    const { send, echo, lines } = edgeListener({ upstream, hcm: { use_remote_address: true, preserve_external_request_id: true } })
    expect((await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-request-id': 'client-trace-1' } }))).headers['x-request-id']).toBe('client-trace-1')
    expect(lines.at(-1)!.split(' ')[2]).toBe('client-trace-1')
  })
  it('false (default): replaced; generate_request_id: false leaves it alone (Envoy sets ids only when generating)', async () => {
    const replaced = edgeListener({ upstream, hcm: { use_remote_address: true } })
    expect((await replaced.echo(await replaced.send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-request-id': 'client-trace-1' } }))).headers['x-request-id']).not.toBe('client-trace-1')
    const off = edgeListener({ upstream, hcm: { use_remote_address: true, generate_request_id: false } })
    expect((await off.echo(await off.send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-request-id': 'client-trace-1' } }))).headers['x-request-id']).toBe('client-trace-1')
  })
})

describe('x-forwarded-for: xff_num_trusted_hops and skip_xff_append', () => {
  it('xff_num_trusted_hops: 1 — the client is the address the trusted proxy appended; its x-forwarded-proto is trusted', async () => {
    const { send, echo, lines } = edgeListener({ upstream, hcm: { use_remote_address: true, xff_num_trusted_hops: 1 } })
    // spoofed, then what the trusted proxy (CF-Connecting-IP) saw.
    const body = await echo(await send('/x', { headers: { 'cf-connecting-ip': '192.0.2.10', 'x-forwarded-for': '10.0.0.1, 198.51.100.4', 'x-forwarded-proto': 'https' } }))
    expect(body.headers['x-forwarded-for']).toBe('10.0.0.1, 198.51.100.4, 192.0.2.10')
    expect(body.headers['x-envoy-external-address']).toBe('198.51.100.4')
    expect(body.headers['x-forwarded-proto']).toBe('https')
    expect(lines.at(-1)!.split(' ')[3]).toBe('198.51.100.4')
  })
  it('xff_num_trusted_hops: 0 — the spoofed x-forwarded-for is not the client', async () => {
    const { send, echo } = edgeListener({ upstream, hcm: { use_remote_address: true } })
    const body = await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-forwarded-for': '10.0.0.1' } }))
    expect(body.headers['x-envoy-external-address']).toBe(CLIENT)
  })
  it('skip_xff_append: x-forwarded-for is left as the client sent it', async () => {
    const { send, echo } = edgeListener({ upstream, hcm: { use_remote_address: true, skip_xff_append: true } })
    const body = await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-forwarded-for': '198.51.100.1' } }))
    expect(body.headers['x-forwarded-for']).toBe('198.51.100.1')
    expect(body.headers['x-envoy-external-address']).toBe(CLIENT)
  })
  it('use_remote_address: false with xff_num_trusted_hops: 1 logs the address one hop from the right', async () => {
    const { send, echo, lines } = edgeListener({ upstream, hcm: { xff_num_trusted_hops: 1 } })
    const body = await echo(await send('/x', { headers: { 'cf-connecting-ip': CLIENT, 'x-forwarded-for': '198.51.100.4, 192.0.2.10' } }))
    expect(body.headers['x-forwarded-for']).toBe('198.51.100.4, 192.0.2.10')
    expect(lines.at(-1)!.split(' ')[3]).toBe('198.51.100.4')
  })
})
