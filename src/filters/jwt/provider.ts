/**
 * One jwt_authn provider: where its tokens are, where its keys come from
 * (inline, or fetched and cached for `cache_duration`), and the checks Envoy
 * makes in order: shape, issuer, time (with clock skew), audience, signature.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto#extensions-filters-http-jwt-authn-v3-jwtprovider
 */
import type { JwtProviderIR } from '../../compile/ir.js'
import type { FilterDeps } from '../types.js'
import { parseJwks, type JwkSet } from './jwks.js'
import type { JwtStatus } from './status.js'
import { parseJwt, type ParsedJwt } from './token.js'

/**
 * A JWKS larger than this is refused (JwksFetchFail) without being read whole:
 * a key set is a few KiB, and a provider's URI must not be able to make every
 * isolate buffer and parse megabytes. edgevoy's bound; Envoy's async client
 * buffers the response up to the cluster's buffer limits.
 */
export const MAX_JWKS_BYTES = 256 * 1024

export interface FoundToken {
  readonly token: string
  /** The header it came from (removed when `forward` is false), or undefined for a query parameter. */
  readonly header: string | undefined
}

/** Where a JWKS request goes: `http_uri.cluster`'s chosen host if the snapshot has that cluster, else the URI itself. */
export type JwksFetcher = (uri: string, cluster: string | undefined, init: RequestInit) => Promise<Response>

export type Verified = { status: 'Ok'; jwt: ParsedJwt; found: FoundToken } | { status: Exclude<JwtStatus, 'Ok'> }

export class JwtProvider {
  private cache: { keys: JwkSet; until: number } | undefined
  private inflight: Promise<JwkSet | undefined> | undefined
  private readonly local: JwkSet | undefined

  readonly name: string

  constructor(readonly config: JwtProviderIR, private readonly deps: Pick<FilterDeps, 'now'>, private readonly count: (s: string) => void) {
    this.name = config.name
    this.local = config.localJwks !== undefined ? parseJwks(config.localJwks) : undefined
  }

  /** Where the compiler said to look (Envoy's default: `Authorization: Bearer <token>`, then `?access_token`). */
  extract(request: Request): FoundToken | undefined {
    const c = this.config
    for (const h of c.fromHeaders) {
      const v = request.headers.get(h.name)
      if (v === null) continue
      const prefix = h.valuePrefix
      if (v.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) continue
      const token = v.slice(prefix.length).trim()
      if (token) return { token, header: h.name }
    }
    if (c.fromParams.length) {
      const query = new URL(request.url).searchParams
      for (const p of c.fromParams) {
        const token = query.get(p)
        if (token) return { token, header: undefined }
      }
    }
    if (c.fromCookies.length) {
      const cookie = request.headers.get('cookie')
      for (const name of c.fromCookies) {
        const m = cookie?.split(';').map((s) => s.trim()).find((s) => s.startsWith(`${name}=`))
        if (m) return { token: m.slice(name.length + 1), header: undefined }
      }
    }
    return undefined
  }

  async verify(found: FoundToken, audiences: readonly string[] | undefined, fetchJwks: JwksFetcher): Promise<Verified> {
    const jwt = parseJwt(found.token)
    if (typeof jwt === 'string') return { status: jwt }
    const { payload, header } = jwt
    if (this.config.issuer !== undefined && payload.iss !== this.config.issuer) return { status: 'JwtUnknownIssuer' }
    const now = Math.floor(this.deps.now() / 1000)
    const skew = this.config.clockSkewSeconds
    // Jwt::verifyTimeConstraint: nbf/exp are numbers here (parseJwt refused other types); exp 0 = none.
    if (now + skew < jwt.times.nbf) return { status: 'JwtNotYetValid' }
    if (jwt.times.exp && now > jwt.times.exp + skew) return { status: 'JwtExpired' }
    const wanted = audiences ?? this.config.audiences ?? []
    if (wanted.length) {
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
      if (!aud.some((a) => typeof a === 'string' && wanted.includes(a))) return { status: 'JwtAudienceNotAllowed' }
    }
    const keys = this.local ?? (this.config.remoteJwks ? await this.remoteKeys(fetchJwks) : undefined)
    if (!keys) return { status: this.config.remoteJwks ? 'JwksFetchFail' : 'JwksParseError' }
    const alg = typeof header.alg === 'string' ? header.alg : ''
    const candidates = keys.candidates(alg, typeof header.kid === 'string' ? header.kid : undefined)
    if (!candidates.length) return { status: 'JwksKidAlgMismatch' }
    for (const key of candidates) if (await keys.verify(key, alg, jwt.signature, jwt.signingInput)) return { status: 'Ok', jwt, found }
    return { status: 'JwtVerificationFail' }
  }

  /** Cached keys, or one fetch shared by concurrent requests. A failed fetch is not cached: the next request tries again. */
  private async remoteKeys(fetchJwks: JwksFetcher): Promise<JwkSet | undefined> {
    const now = this.deps.now()
    if (this.cache && now < this.cache.until) return this.cache.keys
    this.inflight ??= this.fetchKeys(fetchJwks).finally(() => (this.inflight = undefined))
    return this.inflight
  }

  private async fetchKeys(fetchJwks: JwksFetcher): Promise<JwkSet | undefined> {
    const remote = this.config.remoteJwks!
    try {
      const res = await fetchJwks(remote.uri, remote.cluster, { signal: AbortSignal.timeout(remote.timeoutMs) })
      const text = res.ok ? await readLimited(res, MAX_JWKS_BYTES) : (await res.body?.cancel(), undefined)
      const keys = text !== undefined ? parseJwks(text) : undefined
      if (!keys) {
        this.count('jwks_fetch_failed')
        return undefined
      }
      this.count('jwks_fetch_success')
      this.cache = { keys, until: this.deps.now() + remote.cacheDurationMs }
      return keys
    } catch {
      this.count('jwks_fetch_failed')
      return undefined
    }
  }
}

/** The body as text, or undefined (and the rest cancelled) once it is over `limit` bytes. */
async function readLimited(res: Response, limit: number): Promise<string | undefined> {
  if (Number(res.headers.get('content-length') ?? 0) > limit) {
    await res.body?.cancel()
    return undefined
  }
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }
  const all = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.byteLength
  }
  return new TextDecoder().decode(all)
}
