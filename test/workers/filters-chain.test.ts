/**
 * The HTTP filter chain inside workerd: cors → jwt_authn → rbac →
 * local_ratelimit → router, against a real upstream, with real tokens signed
 * by Web Crypto. Envoy's answers are the spec:
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/cors_filter
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/jwt_authn_filter
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/rbac_filter
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/local_rate_limit_filter
 */
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { isolateStats } from '../../src/observability/stats'
import { bootstrap, harness, type Harness } from '../support/filters-harness'
import { b64url, createSigner, jwks, type TestSigner } from '../support/jwt-signer'
import type { EchoBody } from '../support/upstream-types'

const upstreams = inject('upstreams')
const T0 = 1_700_000_000_000
const nowS = T0 / 1000
const ORIGIN = 'https://app.example.com'

let rs: TestSigner, es: TestSigner, ed: TestSigner, stranger: TestSigner
let h: Harness

const claims = (extra: Record<string, unknown> = {}) => ({ iss: 'https://auth.example.com', aud: 'edge-api', sub: 'u1', iat: nowS, exp: nowS + 300, ...extra })
const bearer = (t: string) => ({ authorization: `Bearer ${t}` })
// Filters count into the one stats store (this isolate's unless the app is given another).
const stat = (name: string) => isolateStats.counters.get(name) ?? 0

function chainConfig(localJwks: string, rateLimit = 3) {
  return bootstrap(
    upstreams.a!,
    [
      {
        name: 'api',
        domains: ['*'],
        cors: { allow_origin_string_match: [{ exact: ORIGIN }], allow_methods: 'GET, POST', allow_headers: 'authorization', expose_headers: 'x-upstream-id', max_age: '600', allow_credentials: true },
        routes: [
          { name: 'public', match: { prefix: '/public' }, route: { cluster: 'upstream' }, typed_per_filter_config: { 'envoy.filters.http.jwt_authn': { '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig', disabled: true }, 'envoy.filters.http.rbac': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute' } } },
          { name: 'open', match: { prefix: '/open' }, route: { cluster: 'upstream' }, typed_per_filter_config: { 'envoy.filters.http.jwt_authn': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig', disabled: true }, 'envoy.filters.http.rbac': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute' } } },
          { name: 'api', match: { prefix: '/' }, route: { cluster: 'upstream' } },
        ],
      },
    ],
    [
      { name: 'envoy.filters.http.cors', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } },
      {
        name: 'envoy.filters.http.jwt_authn',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
          providers: { auth: { issuer: 'https://auth.example.com', audiences: ['edge-api'], local_jwks: { inline_string: localJwks }, forward_payload_header: 'x-jwt-payload', payload_in_metadata: 'jwt' } },
          rules: [{ match: { prefix: '/' }, requires: { provider_name: 'auth' } }],
        },
      },
      {
        name: 'envoy.filters.http.rbac',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
          rules: { action: 'ALLOW', policies: { admins: { permissions: [{ any: true }], principals: [{ metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'jwt' }, { key: 'roles' }], value: { list_match: { one_of: { string_match: { exact: 'admin' } } } } } }] } } },
          shadow_rules: { action: 'DENY', policies: { office: { permissions: [{ any: true }], principals: [{ remote_ip: { address_prefix: '203.0.113.0', prefix_len: 24 } }] } } },
        },
      },
      {
        name: 'envoy.filters.http.local_ratelimit',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
          stat_prefix: 'chain_rl',
          token_bucket: { max_tokens: rateLimit, tokens_per_fill: rateLimit, fill_interval: '60s' },
          filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
          filter_enforced: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
        },
      },
      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
    ],
  )
}

beforeAll(async () => {
  ;[rs, es, ed, stranger] = await Promise.all([createSigner('RS256', 'rs-1'), createSigner('ES256', 'es-1'), createSigner('EdDSA', 'ed-1'), createSigner('RS256', 'rs-1')])
  h = harness(chainConfig(jwks(rs, es, ed), 1000), T0)
})

describe('cors', () => {
  it('answers a preflight from an allowed origin at the edge', async () => {
    const res = await h.fetch('/api/things', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST')
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization')
    expect(res.headers.get('access-control-max-age')).toBe('600')
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    expect(res.headers.get('x-upstream-id')).toBeNull()
  })

  it('gives a disallowed origin no CORS headers and counts it', async () => {
    const before = stat('http.ingress.cors.origin_invalid')
    const res = await h.fetch('/public/x', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
    // Envoy forwards a non-matching preflight (forward_not_matching_preflights defaults to true).
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(stat('http.ingress.cors.origin_invalid')).toBe(before + 1)
  })

  it('adds allow-origin and expose-headers to actual responses', async () => {
    const res = await h.fetch('/public/y', { headers: { origin: ORIGIN } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(res.headers.get('access-control-expose-headers')).toBe('x-upstream-id')
  })
})

describe('jwt_authn → rbac', () => {
  it('401 without a token, realm without error (Envoy: JwtMissed)', async () => {
    const res = await h.fetch('/api/things')
    expect(res.status).toBe(401)
    expect(await res.text()).toBe('Jwt is missing')
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="http://edge.example.com/api/things"')
  })

  it('403 from rbac for a valid token without the admin role', async () => {
    const res = await h.fetch('/api/things', { headers: bearer(await rs.sign(claims({ roles: ['reader'] }))) })
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('RBAC: access denied')
  })

  it.each(['RS256', 'ES256', 'EdDSA'] as const)('200 from the upstream with a valid %s token and the role', async (alg) => {
    const signer = { RS256: rs, ES256: es, EdDSA: ed }[alg]
    const res = await h.fetch('/api/things?x=1', { headers: bearer(await signer.sign(claims({ roles: ['admin'] }))) })
    expect(res.status).toBe(200)
    const echo = (await res.json()) as EchoBody
    // forward: false (default) strips the token; the payload goes upstream in forward_payload_header.
    expect(echo.headers.authorization).toBeUndefined()
    const payload = JSON.parse(atob(String(echo.headers['x-jwt-payload']).replace(/-/g, '+').replace(/_/g, '/'))) as { roles: string[] }
    expect(payload.roles).toEqual(['admin'])
  })

  it('the route that disables jwt_authn is reachable without a token', async () => {
    const res = await h.fetch('/public/health')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-upstream-id')).toBe('a')
    // The same with jwt_authn's own PerRouteConfig { disabled: true }.
    expect((await h.fetch('/open/x')).status).toBe(200)
  })

  it('rejects tokens Envoy rejects, each with error="invalid_token", and counts them', async () => {
    const denied = stat('http.ingress.jwt_authn.denied')
    const cases: [string, number, string][] = [
      [await rs.sign(claims({ exp: nowS - 61 })), 401, 'Jwt is expired'],
      [await rs.sign(claims({ nbf: nowS + 61 })), 401, 'Jwt not yet valid'],
      [await rs.sign(claims({ iss: 'https://other' })), 401, 'Jwt issuer is not configured'],
      [await rs.sign(claims({ aud: 'other' })), 403, 'Audiences in Jwt are not allowed'],
      [await stranger.sign(claims()), 401, 'Jwt verification fails'],
      [await rs.sign(claims(), { kid: 'unknown' }), 401, "Jwks doesn't have key to match kid or alg from Jwt"],
      ['not.a.token', 401, 'Jwt header is an invalid JSON'],
      ['abc', 401, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'],
      [`${b64url('{"alg":"none"}')}.${b64url('{}')}.`, 401, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'],
      ['x'.repeat(30_000), 401, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'],
    ]
    for (const [token, status, body] of cases) {
      const res = await h.fetch('/api/things', { headers: bearer(token) })
      expect([res.status, await res.text()]).toEqual([status, body])
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="http://edge.example.com/api/things", error="invalid_token"')
    }
    expect(stat('http.ingress.jwt_authn.denied')).toBe(denied + cases.length)
  })

  it('accepts exp and nbf within the 60 s clock skew', async () => {
    const res = await h.fetch('/api/things', { headers: bearer(await rs.sign(claims({ exp: nowS - 59, nbf: nowS + 59, roles: ['admin'] }))) })
    expect(res.status).toBe(200)
  })

  it('counts shadow rules without enforcing them', async () => {
    const before = stat('http.ingress.rbac.shadow_denied')
    const res = await h.fetch('/api/things', { headers: { ...bearer(await rs.sign(claims({ roles: ['admin'] }))), 'cf-connecting-ip': '203.0.113.9' } })
    expect(res.status).toBe(200)
    expect(stat('http.ingress.rbac.shadow_denied')).toBe(before + 1)
  })
})

describe('local_ratelimit', () => {
  it('the N+1th request in a fill interval gets 429 with x-envoy-ratelimited; the next interval refills', async () => {
    const limited = harness(chainConfig(jwks(rs), 3), T0)
    const token = await rs.sign(claims({ roles: ['admin'] }))
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await limited.fetch('/api/x', { headers: bearer(token) })).status)
    expect(statuses).toEqual([200, 200, 200, 429])
    const res = await limited.fetch('/api/x', { headers: bearer(token) })
    expect(res.headers.get('x-envoy-ratelimited')).toBe('true')
    expect(await res.text()).toBe('local_rate_limited')
    limited.advance(60_000)
    expect((await limited.fetch('/api/x', { headers: bearer(token) })).status).toBe(200)
  })
})
