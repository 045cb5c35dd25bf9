/**
 * jwt_authn identity headers, written as the attack: a client sends its own
 * `x-user-email` / `x-jwt-payload` hoping the upstream (or rbac after
 * jwt_authn) takes them for verified values. Envoy removes every
 * `claim_to_headers` and `forward_payload_header` name before verifying
 * (ExtractorImpl::sanitizeHeaders, called by each verifier), and writes only
 * verified values.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/jwt_authn/extractor.cc
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/jwt_authn/verifier.cc
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto#extensions-filters-http-jwt-authn-v3-jwtprovider
 */
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { bootstrap, harness, type Harness } from '../support/filters-harness'
import { b64url, createSigner, jwks, type TestSigner } from '../support/jwt-signer'
import type { EchoBody } from '../support/upstream-types'

const upstreams = inject('upstreams')
const T0 = 1_700_000_000_000
const nowS = T0 / 1000
const ISS = 'https://auth.example.com'
const FORGED = { 'x-user-email': 'admin@example.com', 'x-jwt-payload': b64url(JSON.stringify({ email: 'admin@example.com', roles: ['admin'] })) }

let signer: TestSigner, stranger: TestSigner
let h: Harness

const bearer = (t: string) => ({ authorization: `Bearer ${t}` })
const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISS, sub: 'u1', iat: nowS, exp: nowS + 300, ...extra })
const echoOf = async (res: Response) => {
  expect(res.status).toBe(200)
  return (await res.json()) as EchoBody
}

function config(localJwks: string) {
  return bootstrap(
    upstreams.a!,
    [{ name: 'api', domains: ['*'], routes: [{ name: 'all', match: { prefix: '/' }, route: { cluster: 'upstream' } }] }],
    [
      {
        name: 'envoy.filters.http.jwt_authn',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
          providers: {
            auth: {
              issuer: ISS,
              local_jwks: { inline_string: localJwks },
              forward_payload_header: 'x-jwt-payload',
              claim_to_headers: [{ header_name: 'x-user-email', claim_name: 'email' }, { header_name: 'x-org', claim_name: 'org.name' }],
            },
          },
          rules: [
            { match: { prefix: '/optional' }, requires: { allow_missing: {} } },
            { match: { prefix: '/lenient' }, requires: { allow_missing_or_failed: {} } },
            { match: { prefix: '/admin' }, requires: { allow_missing: {} } },
            { match: { prefix: '/strict' }, requires: { provider_name: 'auth' } },
          ],
        },
      },
      {
        // rbac after jwt_authn matches on a header jwt_authn writes from a claim.
        name: 'envoy.filters.http.rbac',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
          rules: {
            action: 'ALLOW',
            policies: {
              everyone: { permissions: [{ not_rule: { url_path: { path: { prefix: '/admin' } } } }], principals: [{ any: true }] },
              admins: { permissions: [{ url_path: { path: { prefix: '/admin' } } }], principals: [{ header: { name: 'x-user-email', string_match: { exact: 'admin@example.com' } } }] },
            },
          },
        },
      },
      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
    ],
  )
}

beforeAll(async () => {
  ;[signer, stranger] = await Promise.all([createSigner('ES256', 'k1'), createSigner('ES256', 'k1')])
  h = harness(config(jwks(signer)), T0)
})

describe('forged identity headers never reach the upstream', () => {
  it('allow_missing and no token: both forged headers are removed', async () => {
    const echo = await echoOf(await h.fetch('/optional/x', { headers: FORGED }))
    expect(echo.headers['x-user-email']).toBeUndefined()
    expect(echo.headers['x-jwt-payload']).toBeUndefined()
  })

  it('a verified token that lacks the claim: the forged claim header is removed, the payload is the real one', async () => {
    const token = await signer.sign(claims())
    const echo = await echoOf(await h.fetch('/strict/x', { headers: { ...FORGED, ...bearer(token) } }))
    expect(echo.headers['x-user-email']).toBeUndefined()
    expect(echo.headers['x-jwt-payload']).toBe(token.split('.')[1])
  })

  it('a failing token under allow_missing_or_failed: nothing forged and nothing from the bad token', async () => {
    const bad = await stranger.sign(claims({ email: 'admin@example.com' }))
    const echo = await echoOf(await h.fetch('/lenient/x', { headers: { ...FORGED, ...bearer(bad) } }))
    expect(echo.headers['x-user-email']).toBeUndefined()
    expect(echo.headers['x-jwt-payload']).toBeUndefined()
  })

  it('a failing token where it is required: 401, the upstream is not reached', async () => {
    const res = await h.fetch('/strict/x', { headers: { ...FORGED, ...bearer(await stranger.sign(claims())) } })
    expect([res.status, await res.text()]).toEqual([401, 'Jwt verification fails'])
    expect(res.headers.get('x-upstream-id')).toBeNull()
  })

  it('a verified claim replaces the forged value; nested claims use dots', async () => {
    const echo = await echoOf(await h.fetch('/strict/x', { headers: { ...FORGED, ...bearer(await signer.sign(claims({ email: 'me@example.com', org: { name: 'acme' } }))) } }))
    expect(echo.headers['x-user-email']).toBe('me@example.com')
    expect(echo.headers['x-org']).toBe('acme')
  })
})

describe('rbac after jwt_authn sees the headers jwt_authn left', () => {
  it('a forged x-user-email does not pass an rbac header principal', async () => {
    const res = await h.fetch('/admin/panel', { headers: FORGED })
    expect([res.status, await res.text()]).toEqual([403, 'RBAC: access denied'])
  })

  it('the claim header written from a verified token does', async () => {
    const ok = await h.fetch('/admin/panel', { headers: bearer(await signer.sign(claims({ email: 'admin@example.com' }))) })
    expect((await echoOf(ok)).headers['x-user-email']).toBe('admin@example.com')
    const other = await h.fetch('/admin/panel', { headers: { ...FORGED, ...bearer(await signer.sign(claims({ email: 'bob@example.com' }))) } })
    expect(other.status).toBe(403)
  })
})

describe('registered claims must have their JSON types (jwt_verify_lib Jwt::parseFromString)', () => {
  it.each([
    ['exp', String(nowS - 3600), 'Jwt payload [exp] field is not an integer'],
    ['nbf', String(nowS + 3600), 'Jwt payload [nbf] field is not an integer'],
    ['iat', 'yesterday', 'Jwt payload [iat] field is not an integer'],
    ['exp', -5, 'Jwt payload [exp] field is not a positive 64 bit integer'],
    ['sub', 42, 'Jwt payload [sub] field is not a string'],
    ['aud', ['a', 1], 'Jwt payload [aud] field is not a string or string list'],
  ])('%s = %j → 401 with Envoy\'s message, upstream not reached', async (claim, value, message) => {
    const res = await h.fetch('/strict/x', { headers: bearer(await signer.sign(claims({ [claim]: value }))) })
    expect([res.status, await res.text()]).toEqual([401, message])
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('a string exp that is long past is refused even where a token is optional', async () => {
    const res = await h.fetch('/optional/x', { headers: bearer(await signer.sign(claims({ exp: '1' }))) })
    expect(res.status).toBe(401)
  })

  it('a numeric exp in the past is still "Jwt is expired"', async () => {
    const res = await h.fetch('/strict/x', { headers: bearer(await signer.sign(claims({ exp: nowS - 3600 }))) })
    expect([res.status, await res.text()]).toEqual([401, 'Jwt is expired'])
  })
})

describe('claim values that are not valid header values', () => {
  it.each([
    ['CR/LF', 'victim@example.com\r\nx-injected: yes'],
    ['LF', 'victim@example.com\nx-injected: yes'],
    ['NUL', 'victim@example.com\0'],
  ])('a %s claim: no 500, no header written, no header injected', async (_, email) => {
    const res = await h.fetch('/strict/x', { headers: { ...FORGED, ...bearer(await signer.sign(claims({ email }))) } })
    const echo = await echoOf(res)
    expect(echo.headers['x-user-email']).toBeUndefined()
    expect(echo.headers['x-injected']).toBeUndefined()
  })

  it('object and list claims go out as base64 JSON, as Envoy writes them', async () => {
    const echo = await echoOf(await h.fetch('/strict/x', { headers: bearer(await signer.sign(claims({ email: ['a@example.com'], org: { name: { full: 'Acme' } } }))) }))
    expect(atob(String(echo.headers['x-user-email']))).toBe('["a@example.com"]')
    expect(atob(String(echo.headers['x-org']))).toBe('{"full":"Acme"}')
  })
})

describe('rate-limit descriptors after jwt_authn read the verified claim header', () => {
  const LRL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'
  const on = { numerator: 100, denominator: 'HUNDRED' }
  let rl: Harness

  beforeAll(() => {
    // One request a minute per user (request_headers on the claim header), 100 for everyone else.
    const route = {
      name: 'all',
      match: { prefix: '/' },
      route: {
        cluster: 'upstream',
        rate_limits: [
          { actions: [{ request_headers: { header_name: 'x-user-email', descriptor_key: 'user' } }] },
          { actions: [{ header_value_match: { descriptor_key: 'admin', descriptor_value: 'yes', headers: [{ name: 'x-user-email', string_match: { exact: 'admin@example.com' } }] } }] },
        ],
      },
    }
    rl = harness(
      bootstrap(upstreams.a!, [{ name: 'api', domains: ['*'], routes: [route] }], [
        {
          name: 'envoy.filters.http.jwt_authn',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
            providers: { auth: { issuer: ISS, local_jwks: { inline_string: jwks(signer) }, claim_to_headers: [{ header_name: 'x-user-email', claim_name: 'email' }] } },
            rules: [{ match: { prefix: '/' }, requires: { allow_missing: {} } }],
          },
        },
        {
          name: 'envoy.filters.http.local_ratelimit',
          typed_config: {
            '@type': LRL,
            stat_prefix: 'per_user',
            token_bucket: { max_tokens: 100, fill_interval: '60s' },
            descriptors: [
              { entries: [{ key: 'user', value: '' }], token_bucket: { max_tokens: 1, fill_interval: '60s' } },
              { entries: [{ key: 'admin', value: 'yes' }], token_bucket: { max_tokens: 1, fill_interval: '60s' } },
            ],
            filter_enabled: { default_value: on },
            filter_enforced: { default_value: on },
          },
        },
        { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
      ]),
      T0,
    )
  })

  it('a client forging a victim\'s x-user-email cannot spend the victim\'s bucket', async () => {
    for (let i = 0; i < 3; i++) expect((await rl.fetch('/x', { headers: { 'x-user-email': 'victim@example.com' } })).status).toBe(200)
    const victim = await signer.sign(claims({ email: 'victim@example.com' }))
    expect((await rl.fetch('/x', { headers: bearer(victim) })).status).toBe(200)
    // The verified claim is what the descriptor keys on: the victim's second request is limited.
    expect((await rl.fetch('/x', { headers: bearer(victim) })).status).toBe(429)
  })

  it('header_value_match sees the header jwt_authn wrote, not the one the client sent', async () => {
    for (let i = 0; i < 3; i++) expect((await rl.fetch('/y', { headers: { 'x-user-email': 'admin@example.com' } })).status).toBe(200)
    const admin = await signer.sign(claims({ email: 'admin@example.com' }))
    expect((await rl.fetch('/y', { headers: bearer(admin) })).status).toBe(200)
    expect((await rl.fetch('/y', { headers: bearer(admin) })).status).toBe(429)
  })
})
