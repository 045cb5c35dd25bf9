/**
 * `envoy.filters.http.oauth2` → OAuth2IR, with Envoy's defaults (filter.cc
 * FilterConfig, oauth.proto): scope "user", cookie names BearerToken,
 * OauthHMAC, OauthExpires, IdToken, RefreshToken, OauthNonce, CodeVerifier;
 * a refresh token cookie of a week; CSRF and code verifier cookies of 10 minutes.
 * SDS secret names are resolved here against `static_resources.secrets`
 * (generic_secret); a name without one is read from the Worker secret of that
 * name at request time.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/oauth2/v3/oauth.proto
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/oauth2/filter.cc
 */
import type { OAuth2ConfigConfig, OAuth2FilterConfig, SecretConfig } from '../../config/schema/filters/oauth2.js'
import { parseHeaderFormat } from '../headers.js'
import type { OAuth2CookieKind, OAuth2IR, OAuth2SecretIR } from '../ir.js'
import { lowerHeaderMatcher } from '../match.js'
import { lowerStringMatcher } from '../strings.js'

/** oauth.proto CookieNames defaults. */
const COOKIE_DEFAULTS: { readonly [K in OAuth2CookieKind]: string } = {
  bearerToken: 'BearerToken',
  oauthHmac: 'OauthHMAC',
  oauthExpires: 'OauthExpires',
  idToken: 'IdToken',
  refreshToken: 'RefreshToken',
  oauthNonce: 'OauthNonce',
  codeVerifier: 'CodeVerifier',
}

/**
 * CookieNames / CookieConfigs field names by cookie (cookie_configs holds
 * bearer_token_cookie_config, oauth_hmac_cookie_config, oauth_expires_cookie_config,
 * id_token_cookie_config, refresh_token_cookie_config, oauth_nonce_cookie_config,
 * code_verifier_cookie_config, each with its same_site).
 */
const FIELDS: { readonly [K in OAuth2CookieKind]: string } = {
  bearerToken: 'bearer_token',
  oauthHmac: 'oauth_hmac',
  oauthExpires: 'oauth_expires',
  idToken: 'id_token',
  refreshToken: 'refresh_token',
  oauthNonce: 'oauth_nonce',
  codeVerifier: 'code_verifier',
}

/** oauth.proto: default_refresh_token_expires_in "will default to 604800s". */
const WEEK_S = 604_800
/** filter.cc: the CSRF (nonce) and code verifier cookies expire in 10 minutes unless configured. */
const TEN_MINUTES_S = 600

/** Inline generic secrets by name (`static_resources.secrets`). */
export function secretTable(secrets: readonly SecretConfig[] | undefined): ReadonlyMap<string, string> {
  const out = new Map<string, string>()
  for (const s of secrets ?? []) {
    const data = s.generic_secret?.secret
    const value = data?.inline_string ?? (data?.inline_bytes !== undefined ? atob(data.inline_bytes) : undefined)
    if (value !== undefined) out.set(s.name, value)
  }
  return out
}

const secretRef = (name: string, table: ReadonlyMap<string, string>): OAuth2SecretIR => {
  const inline = table.get(name)
  return inline !== undefined ? { name, inline } : { name }
}

const seconds = (ms: number | undefined, fallback: number) => (ms === undefined ? fallback : Math.floor(ms / 1000))

function lowerConfig(c: OAuth2ConfigConfig, secrets: ReadonlyMap<string, string>): OAuth2IR {
  const names = c.credentials.cookie_names as Record<string, string | undefined> | undefined
  const configs = c.cookie_configs as Record<string, { same_site?: string | undefined } | undefined> | undefined
  const cookieNames = {} as Record<OAuth2CookieKind, string>
  const sameSite: Partial<Record<OAuth2CookieKind, 'STRICT' | 'LAX' | 'NONE'>> = {}
  for (const kind of Object.keys(COOKIE_DEFAULTS) as OAuth2CookieKind[]) {
    // An empty name is unset (ignore_empty), as Envoy's CookieNames constructor reads it.
    cookieNames[kind] = names?.[FIELDS[kind]] || COOKIE_DEFAULTS[kind]
    const site = configs?.[`${FIELDS[kind]}_cookie_config`]?.same_site
    if (site === 'STRICT' || site === 'LAX' || site === 'NONE') sameSite[kind] = site
  }
  return {
    tokenEndpoint: { cluster: c.token_endpoint.cluster, uri: c.token_endpoint.uri, timeoutMs: c.token_endpoint.timeout },
    authorizationEndpoint: c.authorization_endpoint,
    clientId: c.credentials.client_id,
    tokenSecret: secretRef(c.credentials.token_secret.name, secrets),
    hmacSecret: secretRef(c.credentials.hmac_secret.name, secrets),
    redirectUri: parseHeaderFormat(c.redirect_uri) ?? [c.redirect_uri],
    redirectPathMatcher: lowerStringMatcher(c.redirect_path_matcher.path),
    signoutPath: lowerStringMatcher(c.signout_path.path),
    forwardBearerToken: c.forward_bearer_token === true,
    preserveAuthorizationHeader: c.preserve_authorization_header === true,
    passThroughMatchers: (c.pass_through_matcher ?? []).map(lowerHeaderMatcher),
    denyRedirectMatchers: (c.deny_redirect_matcher ?? []).map(lowerHeaderMatcher),
    // filter.cc authScopesList: "If 'auth_scopes' is empty it must return a list with the default value."
    scopes: c.auth_scopes?.length ? c.auth_scopes : ['user'],
    resources: c.resources ?? [],
    authType: c.auth_type ?? 'URL_ENCODED_BODY',
    useRefreshToken: c.use_refresh_token === true,
    defaultExpiresInS: seconds(c.default_expires_in, 0),
    defaultRefreshTokenExpiresInS: seconds(c.default_refresh_token_expires_in, WEEK_S),
    csrfTokenExpiresInS: seconds(c.csrf_token_expires_in, TEN_MINUTES_S),
    codeVerifierExpiresInS: seconds(c.code_verifier_token_expires_in, TEN_MINUTES_S),
    cookieNames,
    sameSite,
    ...(c.credentials.cookie_domain ? { cookieDomain: c.credentials.cookie_domain } : {}),
    disableAccessTokenCookie: c.disable_access_token_set_cookie === true,
    disableIdTokenCookie: c.disable_id_token_set_cookie === true,
    disableRefreshTokenCookie: c.disable_refresh_token_set_cookie === true,
  }
}

/** `OAuth2` → its IR; undefined when `config` is empty (the filter then does nothing). */
export function lowerOAuth2(f: OAuth2FilterConfig, secrets: ReadonlyMap<string, string>): OAuth2IR | undefined {
  return f.config ? lowerConfig(f.config, secrets) : undefined
}
