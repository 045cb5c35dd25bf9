/**
 * OAuth2IR → the oauth2 filter's compiled config: its path and header
 * matchers as predicates, redirect_uri as a formatter built once.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/oauth2/v3/oauth.proto
 */
import type { HeaderFormatPartIR, OAuth2IR } from '../compile/ir.js'
import type { OAuth2Config } from '../compile/types.js'
import { linkHeaderMatcher, linkStringMatcher } from './match-linkers.js'

/**
 * redirect_uri "supports header formatting tokens" (oauth.proto): `%REQ(name)%`
 * reads the request's header, pseudo-headers included. Other operators a
 * redirect URI has no use for are empty, as in a header value edgevoy cannot fill.
 */
function linkRedirectUri(parts: readonly HeaderFormatPartIR[]): OAuth2Config['redirectUri'] {
  return (header) => {
    let out = ''
    for (const p of parts) out += typeof p === 'string' ? p : p.op === 'REQ' && p.arg ? header(p.arg.toLowerCase()) : ''
    return out
  }
}

export function linkOAuth2(c: OAuth2IR): OAuth2Config {
  return {
    ...c,
    redirectUri: linkRedirectUri(c.redirectUri),
    redirectPathMatcher: linkStringMatcher(c.redirectPathMatcher),
    signoutPath: linkStringMatcher(c.signoutPath),
    passThroughMatchers: c.passThroughMatchers.map(linkHeaderMatcher),
    denyRedirectMatchers: c.denyRedirectMatchers.map(linkHeaderMatcher),
  }
}
