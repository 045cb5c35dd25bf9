/**
 * A verified claim as a header value, as Envoy's AuthenticatorImpl::addJWTClaimToHeader
 * writes it: strings as they are, numbers and booleans printed, objects and lists
 * as base64 of their JSON; a nested claim is named with dots (`a.b`).
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/jwt_authn/authenticator.cc
 *
 * A value Envoy's header map cannot hold — NUL, CR or LF (`validHeaderString` in
 * envoy/http/header_map.h) — is not written at all: a claim must never be able to
 * add a header line of its own, nor make the request fail.
 */

const INVALID_HEADER_CHARS = /[\0\r\n]/

/**
 * The claim a `JwtClaimToHeader` names: `claim_path` (a list of keys, for keys
 * that contain ".") or `claim_name` (nested claims separated by ".").
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto#extensions-filters-http-jwt-authn-v3-jwtclaimtoheader
 */
export interface ClaimToHeader {
  readonly claimName?: string | undefined
  readonly claimPath?: readonly string[] | undefined
}

function claimAt(payload: Readonly<Record<string, unknown>>, entry: ClaimToHeader): unknown {
  const name = entry.claimName
  if (name !== undefined && Object.hasOwn(payload, name)) return payload[name]
  const keys = entry.claimPath ?? (name ?? '').split('.')
  let v: unknown = payload
  for (const k of keys) v = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined
  return v
}

/** The header value for `claim`, or undefined when Envoy would add no header. */
export function claimHeaderValue(payload: Readonly<Record<string, unknown>>, claim: ClaimToHeader): string | undefined {
  const v = claimAt(payload, claim)
  let out: string
  if (typeof v === 'string') out = v
  else if (typeof v === 'number') out = Number.isInteger(v) ? v.toFixed(0) : String(v)
  else if (typeof v === 'boolean') out = v ? 'true' : 'false'
  else if (typeof v === 'object' && v !== null) out = base64(JSON.stringify(v))
  else return undefined
  if (out === '' || INVALID_HEADER_CHARS.test(out)) return undefined
  // Headers are ByteStrings: a claim outside Latin-1 goes out as its UTF-8 bytes, as Envoy sends it.
  return /[^\0-\xff]/.test(out) ? String.fromCharCode(...new TextEncoder().encode(out)) : out
}

function base64(text: string): string {
  let s = ''
  for (const b of new TextEncoder().encode(text)) s += String.fromCharCode(b)
  return btoa(s)
}

/**
 * Every header name jwt_authn writes from a verified token: Envoy's
 * ExtractorImpl::sanitizeHeaders removes them from the downstream request
 * before verifying, so only a verified value can reach the upstream.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/jwt_authn/extractor.cc
 */
export function identityHeaderNames(providers: Iterable<{ readonly forwardPayloadHeader?: string | undefined; readonly claimToHeaders?: readonly { readonly headerName: string }[] | undefined }>): string[] {
  const names = new Set<string>()
  for (const p of providers) {
    if (p.forwardPayloadHeader) names.add(p.forwardPayloadHeader.toLowerCase())
    for (const c of p.claimToHeaders ?? []) names.add(c.headerName.toLowerCase())
  }
  return [...names]
}
