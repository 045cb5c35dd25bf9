/**
 * The 302 to the authorization endpoint (Envoy's redirectToOAuthServer):
 * the endpoint's own query with client_id, response_type=code, scope, state,
 * redirect_uri and the PKCE challenge (S256) written over it, then one
 * `resource` per configured resource (RFC 8707). A valid CSRF nonce cookie is
 * reused; otherwise a new one is set. The PKCE verifier goes to the client
 * only encrypted, in the CodeVerifier cookie.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/oauth2/filter.cc
 * https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1 · https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
import type { OAuth2Config } from '../../compile/types.js'
import { setCookie } from './cookies.js'
import { codeChallenge, csrfTokenIsValid, encrypt, generateCodeVerifier, generateCsrfToken } from './crypto.js'
import { encodeState } from './state.js'
import { formEncode } from './token-client.js'

export interface AuthorizeInput {
  /** scheme://host/path?query of the request, where the user returns after login. */
  readonly originalUrl: string
  readonly redirectUri: string
  readonly nonceCookie: string | undefined
  readonly hmacSecret: string
}

/** Writes `value` over the first `key` of the list, or appends it (QueryParamsMulti::overwrite). */
function overwrite(params: [string, string][], key: string, value: string): void {
  const i = params.findIndex(([k]) => k === key)
  if (i >= 0) params.splice(i, 1, [key, value])
  else params.push([key, value])
}

export async function authorizationRedirect(config: OAuth2Config, input: AuthorizeInput): Promise<Response> {
  const headers = new Headers()
  let csrf = input.nonceCookie
  if (csrf === undefined || !(await csrfTokenIsValid(input.hmacSecret, csrf))) {
    csrf = await generateCsrfToken(input.hmacSecret)
    headers.append('set-cookie', setCookie(config, 'oauthNonce', csrf, config.csrfTokenExpiresInS))
  }
  const verifier = generateCodeVerifier()
  headers.append('set-cookie', setCookie(config, 'codeVerifier', await encrypt(verifier, input.hmacSecret), config.codeVerifierExpiresInS))

  const endpoint = new URL(config.authorizationEndpoint)
  // The endpoint's own parameters stay as written (raw, not re-encoded).
  const params: [string, string][] = endpoint.search
    .slice(1)
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=')
      return eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)]
    })
  overwrite(params, 'client_id', formEncode(config.clientId))
  overwrite(params, 'response_type', 'code')
  overwrite(params, 'scope', formEncode(config.scopes.join(' ')))
  overwrite(params, 'state', encodeState(input.originalUrl, csrf))
  overwrite(params, 'redirect_uri', formEncode(input.redirectUri))
  overwrite(params, 'code_challenge', await codeChallenge(verifier))
  overwrite(params, 'code_challenge_method', 'S256')
  const resources = config.resources.map((r) => `&resource=${formEncode(r)}`).join('')
  headers.set('location', `${endpoint.origin}${endpoint.pathname}?${params.map(([k, v]) => `${k}=${v}`).join('&')}${resources}`)
  return new Response(null, { status: 302, headers })
}
