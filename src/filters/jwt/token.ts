/**
 * A compact JWS split and decoded — no trust yet, only shape.
 * https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 */
import type { JwtStatus } from './status.js'

export interface ParsedJwt {
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>>
  /** iat/nbf/exp in seconds, 0 when absent (checked numeric by checkClaims). */
  readonly times: TimeClaims
  /** The payload segment as received (what forward_payload_header carries). */
  readonly payloadSegment: string
  readonly signingInput: Uint8Array
  readonly signature: Uint8Array
}

export function base64UrlDecode(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return undefined
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4)
  try {
    return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))
  } catch {
    return undefined
  }
}

function jsonObject(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined
  try {
    const v: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes))
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export function parseJwt(token: string): ParsedJwt | Exclude<JwtStatus, 'Ok'> {
  const parts = token.split('.')
  if (parts.length !== 3 || parts.some((p) => p === '')) return 'JwtBadFormat'
  const [h, p, s] = parts as [string, string, string]
  const header = jsonObject(base64UrlDecode(h))
  if (!header) return 'JwtHeaderParseError'
  const payload = jsonObject(base64UrlDecode(p))
  if (!payload) return 'JwtPayloadParseError'
  const times = checkClaims(payload)
  if (typeof times === 'string') return times
  const signature = base64UrlDecode(s)
  if (!signature) return 'JwtSignatureParseError'
  return { header, payload, times, payloadSegment: p, signingInput: new TextEncoder().encode(`${h}.${p}`), signature }
}

type ClaimError = Exclude<JwtStatus, 'Ok'>

/** The time claims as numbers of seconds (0 when absent, as jwt_verify_lib keeps them). */
export interface TimeClaims {
  readonly iat: number
  readonly nbf: number
  readonly exp: number
}

const UINT64_LIMIT = 2 ** 64

/**
 * jwt_verify_lib's Jwt::parseFromString: registered claims must have their JSON
 * types — iss/sub/jti strings, aud a string or list of strings, iat/nbf/exp
 * numbers in uint64 range. A string `exp` is not "no expiry": the token is refused.
 * https://github.com/envoyproxy/envoy/blob/main/source/common/jwt/jwt.cc
 */
export function checkClaims(payload: Readonly<Record<string, unknown>>): TimeClaims | ClaimError {
  const str = (k: string) => payload[k] === undefined || typeof payload[k] === 'string'
  if (!str('iss')) return 'JwtPayloadParseErrorIssNotString'
  if (!str('sub')) return 'JwtPayloadParseErrorSubNotString'
  const times: Record<string, number> = {}
  for (const [k, notInteger, outOfRange] of [
    ['iat', 'JwtPayloadParseErrorIatNotInteger', 'JwtPayloadParseErrorIatOutOfRange'],
    ['nbf', 'JwtPayloadParseErrorNbfNotInteger', 'JwtPayloadParseErrorNbfOutOfRange'],
    ['exp', 'JwtPayloadParseErrorExpNotInteger', 'JwtPayloadParseErrorExpOutOfRange'],
  ] as const) {
    const v = payload[k]
    if (v === undefined) { times[k] = 0; continue }
    if (typeof v !== 'number') return notInteger
    if (!(v >= 0 && v < UINT64_LIMIT)) return outOfRange
    times[k] = Math.trunc(v)
  }
  if (!str('jti')) return 'JwtPayloadParseErrorJtiNotString'
  const aud = payload.aud
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) return 'JwtPayloadParseErrorAudNotString'
  return times as unknown as TimeClaims
}
