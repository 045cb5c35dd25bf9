/**
 * JSON Web Key Sets → Web Crypto verification keys, per JWS algorithm.
 * RS256/384/512, PS256/384/512, ES256/384 and EdDSA (Ed25519).
 * https://www.rfc-editor.org/rfc/rfc7517 · https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 */

interface AlgSpec {
  readonly kty: 'RSA' | 'EC' | 'OKP'
  readonly crv?: string
  readonly importAlg: SubtleCryptoImportKeyAlgorithm
  readonly verifyAlg: SubtleCryptoSignAlgorithm
}

export const ALGORITHMS: Readonly<Record<string, AlgSpec>> = {
  RS256: { kty: 'RSA', importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyAlg: { name: 'RSASSA-PKCS1-v1_5' } },
  RS384: { kty: 'RSA', importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' }, verifyAlg: { name: 'RSASSA-PKCS1-v1_5' } },
  RS512: { kty: 'RSA', importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }, verifyAlg: { name: 'RSASSA-PKCS1-v1_5' } },
  PS256: { kty: 'RSA', importAlg: { name: 'RSA-PSS', hash: 'SHA-256' }, verifyAlg: { name: 'RSA-PSS', saltLength: 32 } },
  PS384: { kty: 'RSA', importAlg: { name: 'RSA-PSS', hash: 'SHA-384' }, verifyAlg: { name: 'RSA-PSS', saltLength: 48 } },
  PS512: { kty: 'RSA', importAlg: { name: 'RSA-PSS', hash: 'SHA-512' }, verifyAlg: { name: 'RSA-PSS', saltLength: 64 } },
  ES256: { kty: 'EC', crv: 'P-256', importAlg: { name: 'ECDSA', namedCurve: 'P-256' }, verifyAlg: { name: 'ECDSA', hash: 'SHA-256' } },
  ES384: { kty: 'EC', crv: 'P-384', importAlg: { name: 'ECDSA', namedCurve: 'P-384' }, verifyAlg: { name: 'ECDSA', hash: 'SHA-384' } },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', importAlg: { name: 'Ed25519' }, verifyAlg: { name: 'Ed25519' } },
}

export interface Jwk {
  readonly kid: string | undefined
  readonly alg: string | undefined
  readonly kty: string
  readonly crv: string | undefined
  readonly raw: Readonly<Record<string, unknown>>
}

export class JwkSet {
  private readonly imported = new Map<string, Promise<CryptoKey | undefined>>()
  constructor(readonly keys: readonly Jwk[]) {}

  /** Keys that may have signed a token with this header (kid, alg and key type agree). */
  candidates(alg: string, kid: string | undefined): Jwk[] {
    const spec = ALGORITHMS[alg]
    if (!spec) return []
    return this.keys.filter((k) => k.kty === spec.kty && (spec.crv === undefined || k.crv === spec.crv) && (k.alg === undefined || k.alg === alg) && (kid === undefined || k.kid === undefined || k.kid === kid))
  }

  async verify(key: Jwk, alg: string, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
    const spec = ALGORITHMS[alg]!
    const id = `${this.keys.indexOf(key)}:${alg}`
    let imported = this.imported.get(id)
    if (!imported) {
      // Only the key material: `use`, `key_ops` or a foreign `alg` must not make importKey refuse a good key.
      const { kty, n, e, crv, x, y } = key.raw as Record<string, string>
      const jwk = { kty, n, e, crv, x, y, ext: true } as JsonWebKey
      imported = crypto.subtle.importKey('jwk', jwk, spec.importAlg, false, ['verify']).catch(() => undefined)
      this.imported.set(id, imported)
    }
    const cryptoKey = await imported
    if (!cryptoKey) return false
    return crypto.subtle.verify(spec.verifyAlg, cryptoKey, signature, data).catch(() => false)
  }
}

/** A JWKS document, or undefined when it is not one (Envoy: JwksParseError / JwksNoKeys / JwksNoValidKeys). */
export function parseJwks(text: string): JwkSet | undefined {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return undefined
  }
  const list = (doc as { keys?: unknown } | null)?.keys
  if (!Array.isArray(list)) return undefined
  const keys: Jwk[] = []
  for (const k of list) {
    if (typeof k !== 'object' || k === null || typeof (k as { kty?: unknown }).kty !== 'string') continue
    const r = k as Record<string, unknown>
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
    keys.push({ kid: str(r.kid), alg: str(r.alg), kty: r.kty as string, crv: str(r.crv), raw: r })
  }
  return keys.length ? new JwkSet(keys) : undefined
}
