/**
 * Each filter's own policies inside workerd, against a real upstream:
 * fault injection, rbac over headers/paths/source IP, strict CORS preflights,
 * per-route and descriptor rate limits, the Cloudflare Rate Limiting binding,
 * and a remote JWKS that is not a JWKS.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/fault_filter
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/rbac_filter
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto
 */
import { describe, expect, inject, it } from 'vitest'
import { isolateStats } from '../../src/observability/stats'
import { bootstrap, harness } from '../support/filters-harness'
import { createSigner } from '../support/jwt-signer'

const upstreams = inject('upstreams')
// Filters count into the one stats store (this isolate's unless the app is given another).
const stat = (name: string) => isolateStats.counters.get(name) ?? 0
const route = (name: string, prefix: string, extra: Record<string, unknown> = {}) => ({ name, match: { prefix }, route: { cluster: 'upstream' }, ...extra })
const vhost = (routes: unknown[], extra: Record<string, unknown> = {}) => [{ name: 'v', domains: ['*'], routes, ...extra }]
const app = (routes: unknown[], filters: unknown[], vhExtra: Record<string, unknown> = {}) =>
  harness(bootstrap(upstreams.a!, vhost(routes, vhExtra), [...filters, { name: 'envoy.filters.http.router' }]))
const HUNDRED = (n: number) => ({ numerator: n, denominator: 'HUNDRED' })

describe('fault', () => {
  const fault = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: 'envoy.filters.http.fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', ...config }, ...extra })

  it('aborts the configured share of requests, drawing with the injected randomness', async () => {
    const h = app([route('r', '/')], [fault({ abort: { http_status: 503, percentage: HUNDRED(50) } })])
    h.setRandom(0.2)
    const res = await h.fetch('/x')
    expect([res.status, await res.text()]).toEqual([503, 'fault filter abort'])
    h.setRandom(0.7)
    expect((await h.fetch('/x')).status).toBe(200)
  })

  it('delays by fixed_delay (on the injected clock) before forwarding', async () => {
    const before = stat('http.ingress.fault.delays_injected')
    const h = app([route('r', '/')], [fault({ delay: { fixed_delay: '2s', percentage: HUNDRED(100) } })])
    expect((await h.fetch('/x')).status).toBe(200)
    expect(stat('http.ingress.fault.delays_injected')).toBe(before + 1)
  })

  it('honours x-envoy-fault-abort-request only where header_abort is configured', async () => {
    const withHeader = app([route('r', '/')], [fault({ abort: { header_abort: {}, percentage: HUNDRED(100) } })])
    expect((await withHeader.fetch('/x', { headers: { 'x-envoy-fault-abort-request': '418' } })).status).toBe(418)
    expect((await withHeader.fetch('/x')).status).toBe(200)
    const delays = stat('http.ingress.fault.delays_injected')
    const delayed = app([route('r', '/')], [fault({ delay: { header_delay: {}, percentage: HUNDRED(100) } })])
    expect((await delayed.fetch('/x', { headers: { 'x-envoy-fault-delay-request': '1500' } })).status).toBe(200)
    expect(stat('http.ingress.fault.delays_injected')).toBe(delays + 1)
    const fixed = app([route('r', '/')], [fault({ abort: { http_status: 503, percentage: HUNDRED(0) } })])
    expect((await fixed.fetch('/x', { headers: { 'x-envoy-fault-abort-request': '418' } })).status).toBe(200)
  })

  it('a filter marked disabled runs only on routes whose typed_per_filter_config enables it', async () => {
    const perRoute = { 'envoy.filters.http.fault': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', abort: { http_status: 500, percentage: HUNDRED(100) } } }
    const h = app([route('chaos', '/chaos', { typed_per_filter_config: perRoute }), route('r', '/')], [fault({}, { disabled: true })])
    expect((await h.fetch('/chaos')).status).toBe(500)
    expect((await h.fetch('/calm')).status).toBe(200)
  })
})

describe('rbac', () => {
  const rbac = (rules: Record<string, unknown>) => ({ name: 'envoy.filters.http.rbac', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC', rules } })

  it('DENY matches source IP (CF-Connecting-IP) and paths', async () => {
    const h = app([route('r', '/')], [rbac({ action: 'DENY', policies: { blocked: { permissions: [{ url_path: { path: { prefix: '/admin' } } }], principals: [{ remote_ip: { address_prefix: '198.51.100.0', prefix_len: 24 } }, { direct_remote_ip: { address_prefix: '2001:db8::', prefix_len: 32 } }] } } })])
    const denied = await h.fetch('/admin/x', { headers: { 'cf-connecting-ip': '198.51.100.7' } })
    expect([denied.status, await denied.text()]).toEqual([403, 'RBAC: access denied'])
    expect((await h.fetch('/admin/x', { headers: { 'cf-connecting-ip': '2001:db8:1::5' } })).status).toBe(403)
    expect((await h.fetch('/admin/x', { headers: { 'cf-connecting-ip': '192.0.2.1' } })).status).toBe(200)
    expect((await h.fetch('/public', { headers: { 'cf-connecting-ip': '198.51.100.7' } })).status).toBe(200)
  })

  it('ALLOW with header and not_id principals', async () => {
    const h = app([route('r', '/')], [rbac({ action: 'ALLOW', policies: { key: { permissions: [{ any: true }], principals: [{ and_ids: { ids: [{ header: { name: 'x-api-key', string_match: { exact: 'k1' } } }, { not_id: { header: { name: 'x-banned', present_match: true } } }] } }] } } })])
    expect((await h.fetch('/x', { headers: { 'x-api-key': 'k1' } })).status).toBe(200)
    expect((await h.fetch('/x', { headers: { 'x-api-key': 'k1', 'x-banned': '1' } })).status).toBe(403)
    expect((await h.fetch('/x', { headers: { 'x-api-key': 'x'.repeat(16_000) } })).status).toBe(403)
  })
})

describe('cors', () => {
  it('forward_not_matching_preflights: false answers a disallowed preflight at the edge without CORS headers', async () => {
    const cors = { allow_origin_string_match: [{ suffix: '.example.com' }], allow_methods: 'GET', forward_not_matching_preflights: false }
    const h = app([route('r', '/')], [{ name: 'envoy.filters.http.cors' }], { cors })
    const res = await h.fetch('/x', { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'GET' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('x-upstream-id')).toBeNull()
  })

  it('a route typed_per_filter_config CorsPolicy wins over the virtual host cors', async () => {
    const perRoute = { 'envoy.filters.http.cors': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy', allow_origin_string_match: [{ exact: 'https://other.test' }] } }
    const h = app([route('r', '/', { typed_per_filter_config: perRoute })], [{ name: 'envoy.filters.http.cors' }], { cors: { allow_origin_string_match: [{ exact: 'https://app.test' }] } })
    expect((await h.fetch('/x', { headers: { origin: 'https://other.test' } })).headers.get('access-control-allow-origin')).toBe('https://other.test')
    expect((await h.fetch('/x', { headers: { origin: 'https://app.test' } })).headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('rate limits', () => {
  const LRL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'
  const on = { filter_enabled: { default_value: HUNDRED(100) }, filter_enforced: { default_value: HUNDRED(100) } }

  it('a route per-filter config has its own bucket; filter_enabled unset means no limiting (Envoy default 0%)', async () => {
    const perRoute = { 'envoy.filters.http.local_ratelimit': { '@type': LRL, stat_prefix: 'strict', token_bucket: { max_tokens: 1, fill_interval: '10s' }, ...on } }
    const h = app([route('strict', '/strict', { typed_per_filter_config: perRoute }), route('r', '/')], [{ name: 'envoy.filters.http.local_ratelimit', typed_config: { '@type': LRL, stat_prefix: 'listener', token_bucket: { max_tokens: 1, fill_interval: '10s' } } }])
    expect([(await h.fetch('/strict')).status, (await h.fetch('/strict')).status]).toEqual([200, 429])
    expect([(await h.fetch('/other')).status, (await h.fetch('/other')).status]).toEqual([200, 200])
    h.advance(10_000)
    expect((await h.fetch('/strict')).status).toBe(200)
  })

  it('descriptors from the route rate_limits get their own bucket per value', async () => {
    const r = { name: 'r', match: { prefix: '/' }, route: { cluster: 'upstream', rate_limits: [{ actions: [{ request_headers: { header_name: 'x-client', descriptor_key: 'client' } }] }] } }
    const config = { '@type': LRL, stat_prefix: 'desc', token_bucket: { max_tokens: 100, fill_interval: '60s' }, descriptors: [{ entries: [{ key: 'client', value: '' }], token_bucket: { max_tokens: 2, fill_interval: '60s' } }], ...on }
    const h = app([r], [{ name: 'envoy.filters.http.local_ratelimit', typed_config: config }])
    const a = async () => (await h.fetch('/x', { headers: { 'x-client': 'a' } })).status
    expect([await a(), await a(), await a()]).toEqual([200, 200, 429])
    expect((await h.fetch('/x', { headers: { 'x-client': 'b' } })).status).toBe(200)
  })

  it('cloudflare_ratelimit asks the [[ratelimits]] binding and answers 429 like Envoy', async () => {
    const seen: string[] = []
    const binding = { limit: async ({ key }: { key: string }) => (seen.push(key), { success: seen.length <= 1 }) }
    const h = app([route('r', '/')], [{ name: 'edgevoy.filters.http.cloudflare_ratelimit', typed_config: { stat_prefix: 'global', binding: 'EDGE_LIMITER' } }])
    const env = { EDGE_LIMITER: binding }
    expect((await h.fetch('/x', { headers: { 'cf-connecting-ip': '192.0.2.4' }, env })).status).toBe(200)
    const res = await h.fetch('/x', { headers: { 'cf-connecting-ip': '192.0.2.4' }, env })
    expect([res.status, res.headers.get('x-envoy-ratelimited')]).toEqual([429, 'true'])
    expect(seen).toEqual(['r:192.0.2.4', 'r:192.0.2.4'])
    // No binding: fail open (failure_mode_deny defaults to false), and counted.
    const errors = stat('global.cloudflare_rate_limit.error')
    expect((await h.fetch('/x', { headers: { 'cf-connecting-ip': '192.0.2.4' } })).status).toBe(200)
    expect(stat('global.cloudflare_rate_limit.error')).toBe(errors + 1)
  })
})

describe('jwt_authn remote_jwks', () => {
  it('a JWKS URI that answers something that is not a JWKS → 401 "Jwks remote fetch is failed", counted, upstream not reached', async () => {
    const signer = await createSigner('RS256', 'k')
    const provider = { issuer: 'iss', remote_jwks: { http_uri: { uri: `http://127.0.0.1:${upstreams.b!}/jwks.json`, timeout: '2s' } } }
    const h = app([route('r', '/')], [{ name: 'envoy.filters.http.jwt_authn', typed_config: { providers: { p: provider }, rules: [{ match: { prefix: '/' }, requires: { provider_name: 'p' } }] } }])
    const failed = stat('http.ingress.jwt_authn.jwks_fetch_failed')
    const res = await h.fetch('/x', { headers: { authorization: `Bearer ${await signer.sign({ iss: 'iss' })}` } })
    expect([res.status, await res.text()]).toEqual([401, 'Jwks remote fetch is failed'])
    expect(res.headers.get('x-upstream-id')).toBeNull()
    expect(stat('http.ingress.jwt_authn.jwks_fetch_failed')).toBe(failed + 1)
  })

  it('requires_any with allow_missing lets a request without a token through, but not a bad token', async () => {
    const signer = await createSigner('ES256', 'k')
    const provider = { issuer: 'iss', local_jwks: { inline_string: JSON.stringify({ keys: [signer.jwk] }) } }
    const requires = { requires_any: { requirements: [{ provider_name: 'p' }, { allow_missing: {} }] } }
    const h = app([route('r', '/')], [{ name: 'envoy.filters.http.jwt_authn', typed_config: { providers: { p: provider }, rules: [{ match: { prefix: '/' }, requires }] } }])
    expect((await h.fetch('/x')).status).toBe(200)
    expect((await h.fetch('/x', { headers: { authorization: `Bearer ${await signer.sign({ iss: 'iss' })}` } })).status).toBe(200)
    expect((await h.fetch('/x', { headers: { authorization: 'Bearer a.b.c' } })).status).toBe(401)
  })
})
