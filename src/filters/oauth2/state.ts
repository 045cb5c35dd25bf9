/**
 * The `state` parameter of the authorization request, as Envoy's encodeState
 * writes it: base64url of `{"url":"<original request URL>","csrf_token":"<token>"}`.
 * The CSRF token is also in the nonce cookie; the callback takes the state only
 * when the two agree and the token carries the HMAC secret's signature.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/oauth2/filter.cc (encodeState)
 */
import { base64Url, fromBase64Url } from './crypto.js'

export interface OAuthState {
  readonly url: string
  readonly csrfToken: string
}

export function encodeState(url: string, csrfToken: string): string {
  return base64Url(new TextEncoder().encode(JSON.stringify({ url, csrf_token: csrfToken })))
}

/** undefined when the value is not a state this filter wrote (not base64url JSON with both strings). */
export function decodeState(value: string): OAuthState | undefined {
  const bytes = fromBase64Url(value)
  if (!bytes) return undefined
  try {
    const doc = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)) as { url?: unknown; csrf_token?: unknown }
    if (typeof doc.url !== 'string' || typeof doc.csrf_token !== 'string') return undefined
    return { url: doc.url, csrfToken: doc.csrf_token }
  } catch {
    return undefined
  }
}
