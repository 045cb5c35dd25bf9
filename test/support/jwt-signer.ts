/**
 * Real JWTs for tests, signed with Web Crypto (works in workerd and Node):
 * key pairs for RS256, ES256 and EdDSA, their public JWKs, and `sign()`.
 */
export type JwtAlg = 'RS256' | 'ES256' | 'EdDSA'
export type PublicJwk = Record<string, string> & { kid: string; alg: string }

export interface TestSigner {
  readonly alg: JwtAlg
  readonly kid: string
  /** The public key as a JWK (with kid and alg), ready for a JWKS. */
  readonly jwk: PublicJwk
  sign(payload: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>
}

// Loosely typed: this file compiles against both workers-types and Node's lib.
const GEN: Record<JwtAlg, { gen: Record<string, unknown>; sign: Record<string, unknown> }> = {
  RS256: { gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' } },
  ES256: { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  EdDSA: { gen: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
}

export const b64url = (bytes: Uint8Array | string): string => {
  const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes
  let s = ''
  for (const x of b) s += String.fromCharCode(x)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export async function createSigner(alg: JwtAlg, kid: string): Promise<TestSigner> {
  const spec = GEN[alg]
  const pair = (await crypto.subtle.generateKey(spec.gen as never, true, ['sign', 'verify'])) as CryptoKeyPair
  const exported = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as unknown as Record<string, string | undefined>
  const { kty, n, e, crv, x, y } = exported
  const jwk = Object.fromEntries(Object.entries({ kty, n, e, crv, x, y, kid, alg, use: 'sig' }).filter(([, v]) => v !== undefined)) as PublicJwk
  return {
    alg,
    kid,
    jwk,
    async sign(payload, header = {}) {
      const input = `${b64url(JSON.stringify({ alg, typ: 'JWT', kid, ...header }))}.${b64url(JSON.stringify(payload))}`
      const sig = new Uint8Array(await crypto.subtle.sign(spec.sign as never, pair.privateKey, new TextEncoder().encode(input)))
      return `${input}.${b64url(sig)}`
    },
  }
}

export const jwks = (...signers: TestSigner[]) => JSON.stringify({ keys: signers.map((s) => s.jwk) })
