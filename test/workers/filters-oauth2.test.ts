/**
 * envoy.filters.http.oauth2 inside workerd, against a real token endpoint
 * (test/support/oauth2-token-endpoint.ts on 127.0.0.1) reached through the
 * filter's `token_endpoint.cluster`, and a real upstream. The security tests
 * are written as the attack: a forged state (login CSRF), a tampered or
 * expired session cookie, an open redirect through the callback, a missing
 * secret — none may reach the upstream or the token endpoint.
 * Envoy's behaviour followed, per test: source/extensions/filters/http/oauth2/filter.cc
 * (decodeHeaders, redirectToOAuthServer, signOutUser, OAuth2CookieValidator),
 * oauth_client.cc (asyncGetAccessToken, asyncRefreshAccessToken) and
 * test/extensions/filters/http/oauth2/filter_test.cc.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/oauth2_filter
 */
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { bootstrap, connect1s, ROUTER } from '../support/envoy-config'
import { harness, type Harness } from '../support/filters-harness'
import { controlClient } from '../support/control-client'
import type { EchoBody } from '../support/upstream-types'

const upstreams = inject('upstreams')
const control = controlClient(inject('upstreamControl'))
const T0 = 1_700_000_000_000
const HMAC_SECRET = 'hmac-key-from-a-worker-secret'
const ENV = { 'oauth-hmac': HMAC_SECRET }
const TOKEN_ID = `oauth2-token-${Math.random().toString(36).slice(2)}`
let tokenPort = 0

/**
 * The oauth2 filter with `extra` merged into its config (`filterConfig: false`: no config at all), the
 * token endpoint's cluster `oauth`, and the token secret inline (`tokenSecret`, default the client's).
 */
function config(extra: Record<string, unknown> = {}, o: { tokenSecret?: string; filterConfig?: false } = {}): Record<string, unknown> {
  const filterConfig = {
    token_endpoint: { cluster: 'oauth', uri: 'http://auth.example.com/oauth2/token?client_id=edge%20client&client_secret=s3cr%26t', timeout: '3s' },
    authorization_endpoint: 'https://auth.example.com/authorize?prompt=login',
    redirect_uri: '%REQ(x-forwarded-proto)%://%REQ(:authority)%/callback',
    redirect_path_matcher: { path: { exact: '/callback' } },
    signout_path: { path: { exact: '/signout' } },
    forward_bearer_token: true,
    pass_through_matcher: [{ name: 'x-public', exact_match: 'yes' }],
    deny_redirect_matcher: [{ name: 'x-requested-with', exact_match: 'XMLHttpRequest' }],
    credentials: { client_id: 'edge client', token_secret: { name: 'oauth-token' }, hmac_secret: { name: 'oauth-hmac' } },
    auth_scopes: ['openid', 'email'],
    ...extra,
  }
  return bootstrap({
    virtual_hosts: [{ name: 'app', domains: ['*'], routes: [{ name: 'all', match: { prefix: '/' }, route: { cluster: 'upstream' } }] }],
    http_filters: [
      {
        name: 'envoy.filters.http.oauth2',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2', ...(o.filterConfig === false ? {} : { config: filterConfig }) },
      },
      ROUTER,
    ],
    clusters: { upstream: connect1s(upstreams.a!), oauth: connect1s(tokenPort) },
    // The token secret inline (static_resources.secrets), the HMAC secret from the Worker's env.
    static_resources: { secrets: [{ name: 'oauth-token', generic_secret: { secret: { inline_string: o.tokenSecret ?? 's3cr&t' } } }] },
  })
}

/** Every Set-Cookie of a response (workerd has Headers.getSetCookie; the types lag). */
const setCookies = (res: Response): string[] => (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie()
/** `name=value` of each Set-Cookie, for the next request's Cookie header. */
const cookiesOf = (res: Response): Map<string, string> => new Map(setCookies(res).map((c) => c.split(';')[0]!.split(/=(.*)/s).slice(0, 2) as [string, string]))
const cookieHeader = (m: Map<string, string>) => [...m].map(([k, v]) => `${k}=${v}`).join('; ')
const b64urlJson = (v: string) => JSON.parse(atob(v.replaceAll('-', '+').replaceAll('_', '/'))) as { url: string; csrf_token: string }
const sha256url = async (v: string) => btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(v))))).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
const tokenRequests = async () => (await control.state(TOKEN_ID)).requests
const lastTokenRequest = async () => (await control.state(TOKEN_ID)).last as EchoBody

/** Runs the flow up to the authorization server's redirect back: the 302, its state and the cookies it set. */
async function startLogin(h: Harness, path = '/app/page?x=1') {
  const res = await h.fetch(path, { headers: { 'x-forwarded-proto': 'https' }, env: ENV })
  expect(res.status).toBe(302)
  const location = new URL(res.headers.get('location')!)
  return { res, location, state: location.searchParams.get('state')!, cookies: cookiesOf(res) }
}

async function login(h: Harness) {
  const start = await startLogin(h)
  const cb = await h.fetch(`/callback?code=good-123&state=${start.state}`, { headers: { cookie: cookieHeader(start.cookies), 'x-forwarded-proto': 'https' }, env: ENV })
  return { start, cb, session: cookiesOf(cb) }
}

beforeAll(async () => {
  tokenPort = (await control.start(TOKEN_ID)).port
})

describe('oauth2: the authorization code flow (filter.cc decodeHeaders)', () => {
  it('an unauthenticated request is sent to authorization_endpoint with client_id, response_type, scope, state, redirect_uri and a PKCE S256 challenge (redirectToOAuthServer)', async () => {
    const h = harness(config(), T0)
    const { res, location, state, cookies } = await startLogin(h)
    expect(`${location.origin}${location.pathname}`).toBe('https://auth.example.com/authorize')
    const raw = res.headers.get('location')!
    // The endpoint's own parameter stays first; the filter's are written after it.
    expect(raw).toMatch(/^https:\/\/auth\.example\.com\/authorize\?prompt=login&client_id=edge%20client&response_type=code&scope=openid%20email&state=[A-Za-z0-9_-]+&redirect_uri=https%3A%2F%2Fedge\.example\.com%2Fcallback&code_challenge=[A-Za-z0-9_-]{43}&code_challenge_method=S256$/)
    // encodeState: base64url JSON {url, csrf_token}; the token is the nonce cookie's.
    const decoded = b64urlJson(state)
    expect(decoded.url).toBe('https://edge.example.com/app/page?x=1')
    expect(decoded.csrf_token).toBe(cookies.get('OauthNonce'))
    expect(decoded.csrf_token).toMatch(/^[0-9a-f]{16}\.[A-Za-z0-9+/]+=*$/)
    const set = setCookies(res)
    expect(set.find((c: string) => c.startsWith('OauthNonce='))).toMatch(/;path=\/;Max-Age=600;secure;HttpOnly$/)
    expect(cookies.get('CodeVerifier')).toMatch(/^[A-Za-z0-9_-]+$/)
  })

  it('the callback exchanges the code at the real token endpoint (form body, client credentials in the body, PKCE verifier) and sets the session cookies (asyncGetAccessToken, addResponseCookies)', async () => {
    const h = harness(config(), T0)
    const before = await tokenRequests()
    const { start, cb, session } = await login(h)
    expect(cb.status).toBe(302)
    expect(cb.headers.get('location')).toBe('https://edge.example.com/app/page?x=1')
    expect(await tokenRequests()).toBe(before + 1)
    const sent = await lastTokenRequest()
    expect(sent.method).toBe('POST')
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(sent.form).toMatchObject({ grant_type: 'authorization_code', code: 'good-123', client_id: 'edge client', client_secret: 's3cr&t', redirect_uri: 'https://edge.example.com/callback' })
    // RFC 7636: the verifier sent is the one whose S256 challenge went to the authorization endpoint.
    expect(await sha256url(sent.form!.code_verifier!)).toBe(start.location.searchParams.get('code_challenge'))
    expect(session.get('BearerToken')).toBe('at-good-123')
    expect(session.get('IdToken')).toBe('id-good-123')
    expect(session.get('RefreshToken')).toBe('rt-good-123')
    expect(session.get('OauthExpires')).toBe(String(T0 / 1000 + 3600))
    // OauthHMAC = base64 HMAC-SHA256(hmac secret, host \n expires \n access \n id \n refresh).
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(HMAC_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(['edge.example.com', String(T0 / 1000 + 3600), 'at-good-123', 'id-good-123', 'rt-good-123'].join('\n')))
    expect(session.get('OauthHMAC')).toBe(btoa(String.fromCharCode(...new Uint8Array(mac))))
    expect(setCookies(cb).find((c: string) => c.startsWith('OauthHMAC='))).toBe(`OauthHMAC=${session.get('OauthHMAC')};path=/;Max-Age=3600;secure;HttpOnly`)
  })

  it('auth_type BASIC_AUTH sends the client as HTTP Basic, each half form-encoded (RFC 6749 §2.3.1), and not in the body', async () => {
    const h = harness(config({ auth_type: 'BASIC_AUTH' }), T0)
    const { cb } = await login(h)
    expect(cb.status).toBe(302)
    const sent = await lastTokenRequest()
    expect(sent.headers.authorization).toBe(`Basic ${btoa('edge%20client:s3cr%26t')}`)
    expect(sent.form!.client_secret).toBeUndefined()
  })

  it('with the session cookies the request reaches the upstream with Authorization: Bearer <token> (forward_bearer_token), replacing the client\'s own', async () => {
    const h = harness(config(), T0)
    const { session } = await login(h)
    const res = await h.fetch('/app/page', { headers: { cookie: cookieHeader(session), authorization: 'Bearer forged-by-client' }, env: ENV })
    expect(res.status).toBe(200)
    const echo = (await res.json()) as EchoBody
    expect(echo.headers.authorization).toBe('Bearer at-good-123')
  })

  it('without forward_bearer_token a valid session passes with no Authorization at all: the client\'s is removed (sanitized before the session is checked)', async () => {
    const h = harness(config({ forward_bearer_token: false }), T0)
    const { session } = await login(h)
    const res = await h.fetch('/app/page', { headers: { cookie: cookieHeader(session), authorization: 'Bearer forged-by-client' }, env: ENV })
    expect(res.status).toBe(200)
    expect(((await res.json()) as EchoBody).headers.authorization).toBeUndefined()
  })

  it('use_refresh_token: an expired session with a refresh token is renewed at the token endpoint and the request goes on with the new token and cookies (asyncRefreshAccessToken)', async () => {
    const h = harness(config({ use_refresh_token: true }), T0)
    const { session } = await login(h)
    h.advance(3_601_000)
    const res = await h.fetch('/app/page', { headers: { cookie: cookieHeader(session) }, env: ENV })
    expect(res.status).toBe(200)
    expect(((await res.json()) as EchoBody).headers.authorization).toBe('Bearer at2-rt-good-123')
    expect((await lastTokenRequest()).form).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'rt-good-123', client_id: 'edge client', client_secret: 's3cr&t' })
    const renewed = cookiesOf(res)
    expect(renewed.get('BearerToken')).toBe('at2-rt-good-123')
    // The renewed cookies are a valid session on their own.
    const again = await h.fetch('/app/page', { headers: { cookie: cookieHeader(renewed) }, env: ENV })
    expect(again.status).toBe(200)
  })
})

describe('oauth2: attacks refused', () => {
  it('a session cookie with another access token under the same HMAC is not a session: redirected to log in, the upstream never sees it (OAuth2CookieValidator::hmacIsValid)', async () => {
    const h = harness(config(), T0)
    const { session } = await login(h)
    const forged = new Map(session).set('BearerToken', 'at-admin')
    const res = await h.fetch('/app/page', { headers: { cookie: cookieHeader(forged) }, env: ENV })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toMatch(/^https:\/\/auth\.example\.com\/authorize\?/)
  })

  it('extending OauthExpires breaks the HMAC; an honest session past OauthExpires is refused too (timestampIsValid)', async () => {
    const h = harness(config(), T0)
    const { session } = await login(h)
    const extended = new Map(session).set('OauthExpires', String(T0 / 1000 + 999_999))
    expect((await h.fetch('/app/page', { headers: { cookie: cookieHeader(extended) }, env: ENV })).status).toBe(302)
    h.advance(3_600_000)
    expect((await h.fetch('/app/page', { headers: { cookie: cookieHeader(session) }, env: ENV })).status).toBe(302)
  })

  it('a session signed with another HMAC secret is refused', async () => {
    const h = harness(config(), T0)
    const { session } = await login(h)
    const res = await h.fetch('/app/page', { headers: { cookie: cookieHeader(session) }, env: { 'oauth-hmac': 'another-secret' } })
    expect(res.status).toBe(302)
  })

  it('login CSRF: a callback carrying the attacker\'s state (its own CSRF token) in the victim\'s browser is 401 and no code is exchanged', async () => {
    const h = harness(config(), T0)
    const attacker = await startLogin(h)
    const victim = await startLogin(h)
    const before = await tokenRequests()
    const res = await h.fetch(`/callback?code=good-attacker&state=${attacker.state}`, { headers: { cookie: cookieHeader(victim.cookies) }, env: ENV })
    expect(res.status).toBe(401)
    expect(await res.text()).toBe('OAuth flow failed.')
    expect(await tokenRequests()).toBe(before)
  })

  it('a state and nonce cookie the attacker made up together (no HMAC-secret signature) are refused (validateCsrfTokenHmac)', async () => {
    const h = harness(config(), T0)
    const made = 'deadbeefdeadbeef.bm90LXNpZ25lZA=='
    const state = btoa(JSON.stringify({ url: 'https://evil.example/', csrf_token: made })).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
    const victim = await startLogin(h)
    const cookies = new Map(victim.cookies).set('OauthNonce', made)
    const before = await tokenRequests()
    const res = await h.fetch(`/callback?code=good-1&state=${state}`, { headers: { cookie: cookieHeader(cookies) }, env: ENV })
    expect(res.status).toBe(401)
    expect(await tokenRequests()).toBe(before)
  })

  it('a callback without the CodeVerifier cookie, with `error`, or with a code the server refuses is 401', async () => {
    const h = harness(config(), T0)
    const s = await startLogin(h)
    const noVerifier = new Map(s.cookies)
    noVerifier.delete('CodeVerifier')
    expect((await h.fetch(`/callback?code=good-1&state=${s.state}`, { headers: { cookie: cookieHeader(noVerifier) }, env: ENV })).status).toBe(401)
    expect((await h.fetch(`/callback?error=access_denied&state=${s.state}`, { headers: { cookie: cookieHeader(s.cookies) }, env: ENV })).status).toBe(401)
    expect((await h.fetch(`/callback?code=stolen&state=${s.state}`, { headers: { cookie: cookieHeader(s.cookies) }, env: ENV })).status).toBe(401)
    expect((await h.fetch(`/callback?state=${s.state}`, { headers: { cookie: cookieHeader(s.cookies) }, env: ENV })).status).toBe(401)
  })

  it('a wrong client secret at the token endpoint ends the flow with 401, no cookies', async () => {
    const h = harness(config({}, { tokenSecret: 'wrong' }), T0)
    const { cb } = await login(h)
    expect(cb.status).toBe(401)
    expect(setCookies(cb)).toEqual([])
  })

  it('open redirect: a logged-in user sent to the callback with a made-up state is 401, not redirected (the login race path checks the state too)', async () => {
    const h = harness(config(), T0)
    const { session, start } = await login(h)
    const evil = btoa(JSON.stringify({ url: 'https://evil.example/', csrf_token: 'x.y' })).replace(/=+$/, '')
    const all = cookieHeader(new Map([...start.cookies, ...session]))
    expect((await h.fetch(`/callback?code=good-1&state=${evil}`, { headers: { cookie: all }, env: ENV })).status).toBe(401)
    // The honest race (already logged in, back on the callback) returns to the state's URL.
    const race = await h.fetch(`/callback?code=good-1&state=${start.state}`, { headers: { cookie: all }, env: ENV })
    expect(race.status).toBe(302)
    expect(race.headers.get('location')).toBe('https://edge.example.com/app/page?x=1')
  })

  it('no HMAC secret (no static secret, no Worker secret): 503, never an unchecked pass', async () => {
    const h = harness(config(), T0)
    const res = await h.fetch('/app/page', { env: {} })
    expect(res.status).toBe(503)
  })
})

describe('oauth2: matchers and sign-out', () => {
  it('pass_through_matcher: the request goes upstream untouched, its own Authorization kept (checked before sanitizing)', async () => {
    const h = harness(config(), T0)
    const res = await h.fetch('/api', { headers: { 'x-public': 'yes', authorization: 'Bearer mine' }, env: ENV })
    expect(res.status).toBe(200)
    expect(((await res.json()) as EchoBody).headers.authorization).toBe('Bearer mine')
  })

  it('the corpus example\'s inverted :path regex passes everything but the listed paths', async () => {
    const h = harness(config({ pass_through_matcher: [{ name: ':path', string_match: { safe_regex: { regex: '^\\/(authorize.*|login|logout|hub/user)$' } }, invert_match: true }] }), T0)
    expect((await h.fetch('/static/app.js', { env: ENV })).status).toBe(200)
    expect((await h.fetch('/login', { env: ENV })).status).toBe(302)
  })

  it('deny_redirect_matcher: an AJAX request without a session gets 401, not a redirect (canRedirectToOAuthServer)', async () => {
    const h = harness(config(), T0)
    const res = await h.fetch('/api/data', { headers: { 'x-requested-with': 'XMLHttpRequest' }, env: ENV })
    expect(res.status).toBe(401)
  })

  it('signout_path: 302 to / with every credential cookie deleted (signOutUser)', async () => {
    const h = harness(config(), T0)
    const { session } = await login(h)
    const res = await h.fetch('/signout', { headers: { cookie: cookieHeader(session) }, env: ENV })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://edge.example.com/')
    const set = setCookies(res)
    for (const name of ['OauthHMAC', 'BearerToken', 'IdToken', 'RefreshToken']) expect(set).toContain(`${name}=deleted; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT`)
  })

  it('cookie_names and cookie_configs SameSite are honoured', async () => {
    const h = harness(config({ credentials: { client_id: 'edge client', token_secret: { name: 'oauth-token' }, hmac_secret: { name: 'oauth-hmac' }, cookie_names: { bearer_token: 'AT', oauth_hmac: 'MAC' } }, cookie_configs: { oauth_hmac_cookie_config: { same_site: 'STRICT' } } }), T0)
    const { cb, session } = await login(h)
    expect(session.get('AT')).toBe('at-good-123')
    expect(setCookies(cb).find((c: string) => c.startsWith('MAC='))).toMatch(/;HttpOnly;SameSite=Strict$/)
    const res = await h.fetch('/x', { headers: { cookie: cookieHeader(session) }, env: ENV })
    expect(res.status).toBe(200)
  })
})

describe('oauth2: options', () => {
  it('a token response without expires_in takes default_expires_in; with neither the flow fails (oauth_client.cc onSuccess)', async () => {
    const uri = (q: string) => ({ cluster: 'oauth', uri: `http://auth.example.com/oauth2/token?client_id=edge%20client&client_secret=s3cr%26t&${q}`, timeout: '3s' })
    const withDefault = harness(config({ token_endpoint: uri('expires_in=none'), default_expires_in: '600s' }), T0)
    const { session, cb } = await login(withDefault)
    expect(cb.status).toBe(302)
    expect(session.get('OauthExpires')).toBe(String(T0 / 1000 + 600))
    const without = harness(config({ token_endpoint: uri('expires_in=none') }), T0)
    expect((await login(without)).cb.status).toBe(401)
  })

  it('resources are appended as resource parameters (RFC 8707)', async () => {
    const h = harness(config({ resources: ['https://api.example.com/', 'urn:x'] }), T0)
    const { res } = await startLogin(h)
    expect(res.headers.get('location')).toMatch(/&code_challenge_method=S256&resource=https%3A%2F%2Fapi\.example\.com%2F&resource=urn%3Ax$/)
  })

  it('preserve_authorization_header keeps the client\'s Authorization on a valid session', async () => {
    const h = harness(config({ forward_bearer_token: false, preserve_authorization_header: true }), T0)
    const { session } = await login(h)
    const res = await h.fetch('/x', { headers: { cookie: cookieHeader(session), authorization: 'Basic dTpw' }, env: ENV })
    expect(((await res.json()) as EchoBody).headers.authorization).toBe('Basic dTpw')
  })

  it('disable_access_token_set_cookie: no BearerToken cookie, and the cookies that are set still make a session', async () => {
    const h = harness(config({ forward_bearer_token: false, disable_access_token_set_cookie: true }), T0)
    const { session } = await login(h)
    expect(session.has('BearerToken')).toBe(false)
    expect((await h.fetch('/x', { headers: { cookie: cookieHeader(session) }, env: ENV })).status).toBe(200)
  })

  it('an OAuth2 filter without config does nothing (Envoy installs no filter)', async () => {
    const h = harness(config({}, { filterConfig: false }), T0)
    expect((await h.fetch('/x', { env: {} })).status).toBe(200)
  })

  it('validate: sds_config is warned about, an unknown token_endpoint cluster and preserve_authorization_header with forward_bearer_token are errors', () => {
    const warned = config({ credentials: { client_id: 'c', token_secret: { name: 'oauth-token', sds_config: { path_config_source: { path: '/etc/s.yaml' } } }, hmac_secret: { name: 'oauth-hmac' } } })
    const r = loadConfig(JSON.stringify(warned))
    expect(r.errors).toEqual([])
    expect(r.warnings.map((w) => w.message).join('\n')).toMatch(/sds_config is not followed by edgevoy .*secret "oauth-token" is read from static_resources.secrets/)
    expect(r.warnings.map((w) => w.message).join('\n')).toMatch(/secret "oauth-hmac" has no generic_secret in static_resources.secrets: the Worker must have a secret named "oauth-hmac"/)
    const badCluster = loadConfig(JSON.stringify(config({ token_endpoint: { cluster: 'nope', uri: 'http://a/t', timeout: '1s' } })))
    expect(badCluster.errors.map((e) => e.message).join('\n')).toMatch(/OAuth2 filter: unknown cluster "nope"/)
    const both = loadConfig(JSON.stringify(config({ preserve_authorization_header: true })))
    expect(both.errors.map((e) => e.message).join('\n')).toMatch(/preserve_authorization_header can not be true together with forward_bearer_token/)
  })
})
