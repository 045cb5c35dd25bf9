/**
 * `envoy.filters.http.oauth2`: the authorization code flow in front of the
 * routes (Envoy's OAuth2Filter::decodeHeaders), in Envoy's order:
 *   1. a pass_through_matcher match continues untouched;
 *   2. `Authorization` is removed (unless preserve_authorization_header);
 *   3. signout_path: 302 to `/`, credential cookies deleted;
 *   4. a valid session (OauthHMAC over the cookies, OauthExpires ahead) continues,
 *      with `Authorization: Bearer <token>` when forward_bearer_token; on the
 *      callback path it is sent back to the state's URL (the login race);
 *   5. not the callback: refresh (use_refresh_token), else 302 to the authorization
 *      endpoint, or 401 where deny_redirect_matcher matches;
 *   6. the callback: `error` → 401; code and state present, the state's CSRF token
 *      equal to the nonce cookie and signed with the HMAC secret, the PKCE verifier
 *      decrypted, the code exchanged at the token endpoint → 302 to the state's URL
 *      with the session cookies; any failure → 401 "OAuth flow failed.".
 * Secrets: the SDS name's inline value, else the Worker secret of that name;
 * neither → 503, never an unchecked pass.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/oauth2_filter
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/oauth2/filter.cc
 */
import type { OAuth2Config } from '../../compile/types.js'
import type { OAuth2SecretIR } from '../../compile/ir.js'
import { headerValue } from '../../snapshot/match-linkers.js'
import { stripQuery } from '../../snapshot/matchers.js'
import { editRequestHeaders } from '../request.js'
import type { FilterContext, FilterDeps, FilterFactory } from '../types.js'
import { authorizationRedirect } from './authorize.js'
import { parseCookies } from './cookies.js'
import { constantTimeEqual, csrfTokenIsValid, decrypt } from './crypto.js'
import { sessionCookies, sessionIsValid, sessionOf, signOutCookies } from './session.js'
import { decodeState } from './state.js'
import { requestTokens } from './token-client.js'

/** filter.cc UnauthorizedBodyMessage. */
const UNAUTHORIZED = 'OAuth flow failed.'

const unauthorized = (count: (s: string) => void) => {
  count('oauth_failure')
  return new Response(UNAUTHORIZED, { status: 401, headers: { 'content-type': 'text/plain' } })
}

function redirect(location: string, cookies: readonly string[]): Response {
  const headers = new Headers({ location })
  for (const c of cookies) headers.append('set-cookie', c)
  return new Response(null, { status: 302, headers })
}

function secretOf(c: FilterContext, s: OAuth2SecretIR): string | undefined {
  if (s.inline !== undefined) return s.inline
  const v = (c.env as Record<string, unknown> | undefined)?.[s.name]
  return typeof v === 'string' && v !== '' ? v : undefined
}

/** The query's first value of `name`, percent-decoded (QueryParamsMulti::getFirstValue after urlDecode). */
function queryParam(path: string, name: string): string | undefined {
  const q = path.indexOf('?')
  if (q < 0) return undefined
  const v = new URLSearchParams(path.slice(q + 1)).get(name)
  return v ?? undefined
}

/** The state of a callback, if its CSRF token is the nonce cookie's and carries the HMAC secret's signature. */
async function trustedState(path: string, nonce: string | undefined, hmacSecret: string): Promise<{ url: URL } | undefined> {
  const raw = queryParam(path, 'state')
  const state = raw !== undefined ? decodeState(raw) : undefined
  if (!state || nonce === undefined || !constantTimeEqual(state.csrfToken, nonce) || !(await csrfTokenIsValid(hmacSecret, state.csrfToken))) return undefined
  let url: URL
  try {
    url = new URL(state.url)
  } catch {
    return undefined
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? { url } : undefined
}

/** Go on to the next filter, adding these cookies to the answer. */
interface Continue {
  readonly setCookies: readonly string[]
}
const CONTINUE: Continue = { setCookies: [] }

function run(config: OAuth2Config, deps: FilterDeps, count: (s: string) => void) {
  return async (c: FilterContext): Promise<Response | Continue> => {
    const match = c.get('decision').match
    if (config.passThroughMatchers.some((m) => m.test(match))) {
      count('oauth_passthrough')
      return CONTINUE
    }
    const tokenSecret = secretOf(c, config.tokenSecret)
    const hmacSecret = secretOf(c, config.hmacSecret)
    if (tokenSecret === undefined || hmacSecret === undefined) {
      count('oauth_failure')
      return new Response('OAuth2 filter secrets are not available', { status: 503, headers: { 'content-type': 'text/plain' } })
    }
    const host = match.authority
    const path = match.path
    const pathOnly = stripQuery(path)
    const scheme = match.scheme === 'http' ? 'http' : 'https'
    const cookies = parseCookies(c.req.header('cookie') ?? null)
    const n = config.cookieNames

    if (config.signoutPath(pathOnly)) return redirect(`${scheme}://${host}/`, signOutCookies(config))

    const session = sessionOf(config, cookies)
    const now = deps.now()
    if (await sessionIsValid(config, hmacSecret, host, session, now)) {
      count('oauth_success')
      if (config.redirectPathMatcher(pathOnly)) {
        const state = await trustedState(path, cookies.get(n.oauthNonce), hmacSecret)
        // Avoid a redirect storm: the state's URL may not be the callback itself.
        if (!state || config.redirectPathMatcher(state.url.pathname)) return unauthorized(count)
        return redirect(state.url.href, [])
      }
      editRequestHeaders(c, (h) => {
        if (!config.preserveAuthorizationHeader) h.delete('authorization')
        if (config.forwardBearerToken && session.accessToken) h.set('authorization', `Bearer ${session.accessToken}`)
      })
      return CONTINUE
    }
    if (!config.preserveAuthorizationHeader) editRequestHeaders(c, (h) => h.delete('authorization'))

    if (!config.redirectPathMatcher(pathOnly)) {
      if (config.useRefreshToken && session.refreshToken) {
        const tokens = await requestTokens(c, deps, config, { clientId: config.clientId, clientSecret: tokenSecret }, { kind: 'refresh_token', refreshToken: session.refreshToken })
        if (tokens) {
          count('oauth_refreshtoken_success')
          count('oauth_success')
          const fresh = await sessionCookies(config, hmacSecret, host, tokens, now)
          if (config.forwardBearerToken) editRequestHeaders(c, (h) => h.set('authorization', `Bearer ${tokens.accessToken}`))
          return { setCookies: fresh.cookies }
        }
        count('oauth_refreshtoken_failure')
      }
      if (config.denyRedirectMatchers.some((m) => m.test(match))) return unauthorized(count)
      count('oauth_unauthorized_rq')
      const header = (name: string) => headerValue(match, name) ?? ''
      return authorizationRedirect(config, { originalUrl: `${scheme}://${host}${path}`, redirectUri: config.redirectUri(header), nonceCookie: cookies.get(n.oauthNonce), hmacSecret })
    }

    // The callback: the authorization server sent the user back with a code (or an error).
    if (queryParam(path, 'error') !== undefined) return unauthorized(count)
    const code = queryParam(path, 'code')
    const state = await trustedState(path, cookies.get(n.oauthNonce), hmacSecret)
    if (code === undefined || !state) return unauthorized(count)
    const sealed = cookies.get(n.codeVerifier)
    const verifier = sealed !== undefined ? await decrypt(sealed, hmacSecret) : undefined
    if (verifier === undefined) return unauthorized(count)
    const redirectUri = config.redirectUri((name) => headerValue(match, name) ?? '')
    const tokens = await requestTokens(c, deps, config, { clientId: config.clientId, clientSecret: tokenSecret }, { kind: 'authorization_code', code, redirectUri, codeVerifier: verifier })
    if (!tokens) return unauthorized(count)
    count('oauth_success')
    const { cookies: set } = await sessionCookies(config, hmacSecret, host, tokens, now)
    return redirect(state.url.href, set)
  }
}

export const oauth2Filter: FilterFactory<'oauth2'> = {
  kind: 'oauth2',
  name: 'envoy.filters.http.oauth2',
  statName: 'oauth',
  create(config, { deps, count }) {
    // OAuth2 without `config`: Envoy installs no filter.
    if (!config) return async (_c, next) => next()
    const decide = run(config, deps, count)
    return async (c, next) => {
      const outcome = await decide(c)
      if (outcome instanceof Response) return outcome
      await next()
      // After a refresh the new session cookies ride on the upstream's answer (Envoy's encodeHeaders).
      if (outcome.setCookies.length) {
        const res = new Response(c.res.body, c.res)
        for (const cookie of outcome.setCookies) res.headers.append('set-cookie', cookie)
        c.res = res
      }
    }
  },
}
