/**
 * The oauth2 filter's cryptography, on Web Crypto: the HMAC-SHA256 that binds
 * the token cookies, the HMAC-signed CSRF token carried in `state` and the
 * nonce cookie, and PKCE (RFC 7636 S256) with the code verifier kept in a
 * cookie encrypted under a key derived from the HMAC secret.
 * Randomness here is crypto.getRandomValues, never the injected `random`:
 * these values must be unguessable, not reproducible.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/oauth2/filter.cc
 */
const encoder = new TextEncoder()

const hmacKeys = new Map<string, Promise<CryptoKey>>()
const aesKeys = new Map<string, Promise<CryptoKey>>()

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    hmacKeys.set(secret, key)
  }
  return key
}

export function base64(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

export const base64Url = (bytes: Uint8Array): string => base64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')

export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined
  try {
    const bin = atob(text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4))
    return Uint8Array.from(bin, (c) => c.charCodeAt(0))
  } catch {
    return undefined
  }
}

/** Envoy's encodeHmacBase64 / generateHmacBase64: standard base64 of HMAC-SHA256(secret, message). */
export async function hmacBase64(secret: string, message: string): Promise<string> {
  return base64(new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(message))))
}

/** Compares without an early exit, so a forged HMAC learns nothing from the time a refusal takes. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n))
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')

/** Envoy's generateCsrfToken: a random hex nonce, ".", base64 HMAC of the nonce under the HMAC secret. */
export async function generateCsrfToken(hmacSecret: string): Promise<string> {
  const nonce = hex(randomBytes(8))
  return `${nonce}.${await hmacBase64(hmacSecret, nonce)}`
}

/** Envoy's validateCsrfTokenHmac: the token's HMAC is the HMAC secret's. */
export async function csrfTokenIsValid(hmacSecret: string, token: string): Promise<boolean> {
  const dot = token.indexOf('.')
  if (dot <= 0) return false
  return constantTimeEqual(await hmacBase64(hmacSecret, token.slice(0, dot)), token.slice(dot + 1))
}

/** RFC 7636 §4.1: 32 random octets, base64url: a 43-character verifier. */
export const generateCodeVerifier = (): string => base64Url(randomBytes(32))

/** RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export async function codeChallenge(verifier: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(verifier))))
}

function aesKey(secret: string): Promise<CryptoKey> {
  let key = aesKeys.get(secret)
  if (!key) {
    // The HMAC secret's SHA-256 is the AES-256 key. Envoy encrypts the verifier with AES-256-CBC;
    // GCM also authenticates it, and only this filter ever reads the cookie.
    key = crypto.subtle.digest('SHA-256', encoder.encode(secret)).then((raw) => crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']))
    aesKeys.set(secret, key)
  }
  return key
}

/** The code verifier cookie's value: base64url(iv ‖ AES-GCM(verifier)), so the client can neither read nor alter it. */
export async function encrypt(plain: string, secret: string): Promise<string> {
  const iv = randomBytes(12)
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await aesKey(secret), encoder.encode(plain)))
  const out = new Uint8Array(iv.length + sealed.length)
  out.set(iv)
  out.set(sealed, iv.length)
  return base64Url(out)
}

export async function decrypt(sealed: string, secret: string): Promise<string | undefined> {
  const bytes = fromBase64Url(sealed)
  if (!bytes || bytes.length < 13) return undefined
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, 12) }, await aesKey(secret), bytes.slice(12))
    return new TextDecoder().decode(plain)
  } catch {
    return undefined
  }
}
