/**
 * The token endpoint client (Envoy's OAuth2ClientImpl): an
 * `application/x-www-form-urlencoded` POST through `token_endpoint.cluster`
 * (a host the cluster chooses, or its service binding), with the client's
 * credentials in the body or as HTTP Basic (RFC 6749 §2.3.1), within
 * `token_endpoint.timeout`. Anything but a 200 with an `access_token` and a
 * lifetime (its `expires_in`, else default_expires_in) is a failure.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/oauth2/oauth_client.cc
 * https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3 · https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
import type { OAuth2Config } from '../../compile/types.js'
import type { FilterContext, FilterDeps } from '../types.js'

export interface Tokens {
  readonly accessToken: string
  readonly idToken: string
  readonly refreshToken: string
  readonly expiresInS: number
}

export interface Credentials {
  readonly clientId: string
  readonly clientSecret: string
}

export type TokenGrant = { readonly kind: 'authorization_code'; readonly code: string; readonly redirectUri: string; readonly codeVerifier: string } | { readonly kind: 'refresh_token'; readonly refreshToken: string }

/** Envoy's urlEncodeQueryParameter: everything but unreserved characters (RFC 3986 §2.3) percent-encoded. */
export const formEncode = (v: string): string => encodeURIComponent(v).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)

function body(grant: TokenGrant, creds: Credentials, inBody: boolean): string {
  const fields: [string, string][] =
    grant.kind === 'authorization_code'
      ? [['grant_type', 'authorization_code'], ['code', grant.code]]
      : [['grant_type', 'refresh_token'], ['refresh_token', grant.refreshToken]]
  if (inBody) fields.push(['client_id', creds.clientId], ['client_secret', creds.clientSecret])
  if (grant.kind === 'authorization_code') fields.push(['redirect_uri', grant.redirectUri], ['code_verifier', grant.codeVerifier])
  return fields.map(([k, v]) => `${k}=${formEncode(v)}`).join('&')
}

/** The token endpoint's path and query (its `uri` may be written without a scheme: `oauth.com/token`). */
function pathOf(uri: string): string {
  const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? uri : `http://${uri}`)
  return `${u.pathname}${u.search}`
}

export async function requestTokens(c: FilterContext, deps: FilterDeps, config: OAuth2Config, creds: Credentials, grant: TokenGrant): Promise<Tokens | undefined> {
  const cluster = c.get('snapshot')?.clusters.get(config.tokenEndpoint.cluster)
  const host = cluster ? deps.clusters?.chooseHost(cluster) : undefined
  // oauth_client.cc dispatchRequest: no cluster to send to is a failed flow.
  if (!host) return undefined
  const basic = config.authType === 'BASIC_AUTH'
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
  if (basic) headers.authorization = `Basic ${btoa(`${formEncode(creds.clientId)}:${formEncode(creds.clientSecret)}`)}`
  const init: RequestInit = { method: 'POST', headers, body: body(grant, creds, !basic), redirect: 'manual', signal: AbortSignal.timeout(config.tokenEndpoint.timeoutMs) }
  const target = `${host.origin}${pathOf(config.tokenEndpoint.uri)}`
  const binding = host.binding !== undefined ? deps.bindings?.[host.binding] : undefined
  try {
    const res = await (binding ? binding.fetch(target, init) : deps.fetch(target, init))
    const text = await res.text()
    if (res.status !== 200) return undefined
    const doc = JSON.parse(text) as Record<string, unknown>
    if (typeof doc.access_token !== 'string' || doc.access_token === '') return undefined
    const expires = typeof doc.expires_in === 'number' ? doc.expires_in : typeof doc.expires_in === 'string' && /^\d+$/.test(doc.expires_in) ? Number(doc.expires_in) : config.defaultExpiresInS
    // "If this value is not set, … the expiry must be set by the authorization server or the OAuth flow will fail."
    if (!(expires > 0)) return undefined
    return {
      accessToken: doc.access_token,
      idToken: typeof doc.id_token === 'string' ? doc.id_token : '',
      refreshToken: typeof doc.refresh_token === 'string' ? doc.refresh_token : '',
      expiresInS: Math.floor(expires),
    }
  } catch {
    // A refused connection, a timeout or a body that is not JSON: Envoy's onFailure / parse error.
    return undefined
  }
}
