/**
 * The signed session cookies (Envoy's OAuth2CookieValidator and
 * addResponseCookies): OauthHMAC is base64 HMAC-SHA256, under the HMAC
 * secret, of `domain \n expires \n access token \n id token \n refresh token`
 * — the domain is cookie_domain, else the request's host — and the session is
 * valid while OauthExpires (epoch seconds) is in the future.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/oauth2/filter.cc
 */
import type { OAuth2Config } from '../../compile/types.js'
import { deleteCookie, setCookie } from './cookies.js'
import { constantTimeEqual, hmacBase64 } from './crypto.js'
import type { Tokens } from './token-client.js'

export interface Session {
  readonly expires: string
  readonly accessToken: string
  readonly idToken: string
  readonly refreshToken: string
  readonly hmac: string
}

export function sessionOf(config: OAuth2Config, cookies: ReadonlyMap<string, string>): Session {
  const n = config.cookieNames
  return {
    expires: cookies.get(n.oauthExpires) ?? '',
    accessToken: cookies.get(n.bearerToken) ?? '',
    idToken: cookies.get(n.idToken) ?? '',
    refreshToken: cookies.get(n.refreshToken) ?? '',
    hmac: cookies.get(n.oauthHmac) ?? '',
  }
}

const domainOf = (config: OAuth2Config, host: string) => config.cookieDomain ?? host

/** HmacPayloadSeparator "\n". */
const payload = (domain: string, expires: string, access: string, id: string, refresh: string) => [domain, expires, access, id, refresh].join('\n')

/** isValid = hmacIsValid && timestampIsValid. */
export async function sessionIsValid(config: OAuth2Config, hmacSecret: string, host: string, s: Session, nowMs: number): Promise<boolean> {
  if (!/^\d+$/.test(s.expires) || Number(s.expires) * 1000 <= nowMs) return false
  if (s.hmac === '') return false
  const want = await hmacBase64(hmacSecret, payload(domainOf(config, host), s.expires, s.accessToken, s.idToken, s.refreshToken))
  return constantTimeEqual(want, s.hmac)
}

/**
 * The Set-Cookie values after a token exchange or refresh. A token whose
 * cookie is disabled (disable_*_set_cookie) is left out of the HMAC too, so
 * the cookies the browser sends back validate.
 */
export async function sessionCookies(config: OAuth2Config, hmacSecret: string, host: string, t: Tokens, nowMs: number): Promise<{ cookies: string[]; session: Session }> {
  const expires = String(Math.floor(nowMs / 1000) + t.expiresInS)
  const access = config.disableAccessTokenCookie ? '' : t.accessToken
  const id = config.disableIdTokenCookie ? '' : t.idToken
  const refresh = config.disableRefreshTokenCookie ? '' : t.refreshToken
  const hmac = await hmacBase64(hmacSecret, payload(domainOf(config, host), expires, access, id, refresh))
  // The refresh token outlives the access token only when it is used (oauth.proto default_refresh_token_expires_in).
  const refreshAge = config.useRefreshToken ? config.defaultRefreshTokenExpiresInS : t.expiresInS
  const cookies = [setCookie(config, 'oauthHmac', hmac, t.expiresInS), setCookie(config, 'oauthExpires', expires, t.expiresInS)]
  if (access) cookies.push(setCookie(config, 'bearerToken', access, t.expiresInS))
  if (id) cookies.push(setCookie(config, 'idToken', id, t.expiresInS))
  if (refresh) cookies.push(setCookie(config, 'refreshToken', refresh, refreshAge))
  return { cookies, session: { expires, accessToken: access, idToken: id, refreshToken: refresh, hmac } }
}

/** signOutUser: every credential cookie deleted. */
export const signOutCookies = (config: OAuth2Config): string[] =>
  (['oauthHmac', 'bearerToken', 'idToken', 'refreshToken', 'oauthNonce', 'codeVerifier'] as const).map((k) => deleteCookie(config, k))
