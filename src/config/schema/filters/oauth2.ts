/**
 * `extensions.filters.http.oauth2.v3.OAuth2` (OAuth2Config, OAuth2Credentials,
 * CookieNames, CookieConfigs) and `transport_sockets.tls.v3.SdsSecretConfig`.
 * Secrets are SDS names: edgevoy resolves a name to an inline
 * `static_resources.secrets[].generic_secret` or, failing that, to the Worker
 * secret (env binding) of the same name at request time.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/oauth2/v3/oauth.proto
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/oauth2_filter
 */
import { z } from 'zod'
import { duration, envoyEnum, envoyObject, opaque, wrapped } from '../envoy-object.js'
import { headerMatcher, stringMatcher } from '../matchers.js'
import { warnWhen } from './warn.js'

/** `SdsSecretConfig`: a secret by name; `sds_config` (where Envoy fetches it) is not followed by edgevoy. */
export const sdsSecretConfig = warnWhen(
  envoyObject({ name: z.string().min(1), sds_config: opaque.optional() }),
  (s) =>
    s.sds_config
      ? `sds_config is not followed by edgevoy (no SDS client, no file system): secret "${s.name}" is read from static_resources.secrets (generic_secret) or, failing that, from the Worker secret named "${s.name}" (wrangler secret put ${s.name})`
      : undefined,
)

/** Envoy's `well_known_regex: HTTP_HEADER_NAME` on cookie names. */
const cookieName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]*$/, 'expected a cookie name (RFC 7230 token characters)')

export const oauth2CookieNames = envoyObject({
  bearer_token: cookieName.optional(),
  oauth_hmac: cookieName.optional(),
  oauth_expires: cookieName.optional(),
  id_token: cookieName.optional(),
  refresh_token: cookieName.optional(),
  oauth_nonce: cookieName.optional(),
  code_verifier: cookieName.optional(),
})

export const oauth2Credentials = envoyObject(
  {
    client_id: z.string().min(1),
    token_secret: sdsSecretConfig,
    hmac_secret: sdsSecretConfig,
    cookie_names: oauth2CookieNames.optional(),
    cookie_domain: z.string().optional(),
  },
  // Other client authentications would send the token endpoint something else than Envoy: refused.
  { unsupported: { client_assertion: 'private_key_jwt client assertions are not implemented; use token_secret (URL_ENCODED_BODY or BASIC_AUTH)' } },
)

const sameSite = envoyEnum(['DISABLED', 'STRICT', 'LAX', 'NONE'])
const cookieConfig = envoyObject({ same_site: sameSite.optional() }, { ignored: ['path', 'partitioned'] })

export const oauth2CookieConfigs = envoyObject({
  bearer_token_cookie_config: cookieConfig.optional(),
  oauth_hmac_cookie_config: cookieConfig.optional(),
  oauth_expires_cookie_config: cookieConfig.optional(),
  id_token_cookie_config: cookieConfig.optional(),
  refresh_token_cookie_config: cookieConfig.optional(),
  oauth_nonce_cookie_config: cookieConfig.optional(),
  code_verifier_cookie_config: cookieConfig.optional(),
})

const httpUri = envoyObject({ uri: z.string().min(1), cluster: z.string().min(1), timeout: duration })
const pathMatcher = envoyObject({ path: stringMatcher })

export const oauth2Config = envoyObject(
  {
    token_endpoint: httpUri,
    authorization_endpoint: z.string().url(),
    credentials: oauth2Credentials,
    redirect_uri: z.string().min(1),
    redirect_path_matcher: pathMatcher,
    signout_path: pathMatcher,
    forward_bearer_token: z.boolean().optional(),
    preserve_authorization_header: z.boolean().optional(),
    pass_through_matcher: z.array(headerMatcher).optional(),
    auth_scopes: z.array(z.string()).optional(),
    resources: z.array(z.string()).optional(),
    auth_type: envoyEnum(['URL_ENCODED_BODY', 'BASIC_AUTH']).optional(),
    use_refresh_token: wrapped(z.boolean()).optional(),
    default_expires_in: duration.optional(),
    deny_redirect_matcher: z.array(headerMatcher).optional(),
    default_refresh_token_expires_in: duration.optional(),
    disable_id_token_set_cookie: z.boolean().optional(),
    disable_access_token_set_cookie: z.boolean().optional(),
    disable_refresh_token_set_cookie: z.boolean().optional(),
    cookie_configs: oauth2CookieConfigs.optional(),
    csrf_token_expires_in: duration.optional(),
    code_verifier_token_expires_in: duration.optional(),
  },
  {
    ignored: ['retry_policy', 'stat_prefix', 'end_session_endpoint', 'disable_token_encryption'],
    notes: {
      retry_policy: 'the token request is sent once through the cluster (no retries)',
      stat_prefix: 'counters are http.<stat_prefix>.oauth.* of the connection manager',
      end_session_endpoint: 'signout clears the cookies and redirects to / (the identity provider session is not ended)',
      disable_token_encryption: 'edgevoy keeps tokens in their cookies as issued (HttpOnly, Secure; bound to OauthHMAC)',
    },
  },
).superRefine((c, ctx) => {
  // oauth.proto: "Can not be set to true if forward_bearer_token is already set to true."
  if (c.forward_bearer_token && c.preserve_authorization_header)
    ctx.addIssue({ code: 'custom', path: ['preserve_authorization_header'], message: 'preserve_authorization_header can not be true together with forward_bearer_token (oauth.proto)' })
})
export type OAuth2ConfigConfig = z.output<typeof oauth2Config>

/** `OAuth2`: leave `config` empty to disable the filter (oauth.proto: "Leave this empty to disable OAuth2 for a specific route"). */
export const oauth2Filter = envoyObject({ '@type': z.string().optional(), config: oauth2Config.optional() })
export type OAuth2FilterConfig = z.output<typeof oauth2Filter>

/** `static_resources.secrets[]`: a generic secret's inline value is what an SDS name resolves to. */
const inlineData = envoyObject(
  { inline_string: z.string().optional(), inline_bytes: z.string().optional() },
  { unsupported: { filename: 'a Worker has no file system; inline the secret or use a Worker secret of the same name', environment_variable: 'use a Worker secret named as the SDS secret' } },
)
export const secret = envoyObject(
  { name: z.string().min(1), generic_secret: envoyObject({ secret: inlineData }).optional() },
  {
    ignored: ['tls_certificate', 'session_ticket_keys', 'validation_context'],
    notes: { tls_certificate: 'TLS is terminated by Cloudflare', session_ticket_keys: 'TLS is terminated by Cloudflare', validation_context: 'TLS is terminated by Cloudflare' },
  },
)
export type SecretConfig = z.output<typeof secret>
