/**
 * A compact JWS split and decoded — no trust yet, only shape.
 * https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 */
import type { JwtStatus } from './status.js'

export interface ParsedJwt {
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>>
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
  const signature = base64UrlDecode(s)
  if (!signature) return 'JwtSignatureParseError'
  return { header, payload, payloadSegment: p, signingInput: new TextEncoder().encode(`${h}.${p}`), signature }
}
