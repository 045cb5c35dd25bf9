/**
 * A `JwtRequirement` tree evaluated against a request: which providers'
 * tokens must verify. requires_any passes when one child passes (failing with
 * the first error that is not "missing"); requires_all needs every child;
 * allow_missing passes when no provider finds a token; allow_missing_or_failed always passes.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto#extensions-filters-http-jwt-authn-v3-jwtrequirement
 */
import type { JwtRequirementIR } from '../../compile/ir.js'
import type { ParsedJwt } from './token.js'
import type { FoundToken, JwksFetcher, JwtProvider } from './provider.js'
import type { JwtStatus } from './status.js'

export interface VerifiedJwt {
  readonly provider: JwtProvider
  readonly jwt: ParsedJwt
  readonly found: FoundToken
}

export interface Outcome {
  readonly status: JwtStatus
  readonly verified: readonly VerifiedJwt[]
}

const fail = (status: Exclude<JwtStatus, 'Ok'>): Outcome => ({ status, verified: [] })

async function one(p: JwtProvider, request: Request, fetchJwks: JwksFetcher, audiences?: readonly string[]): Promise<Outcome> {
  const found = p.extract(request)
  if (!found) return fail('JwtMissed')
  const v = await p.verify(found, audiences, fetchJwks)
  return v.status === 'Ok' ? { status: 'Ok', verified: [{ provider: p, jwt: v.jwt, found: v.found }] } : fail(v.status)
}

/** Every provider's token that is present; verified; `failedOk` turns failures into passes. */
async function anyPresent(providers: ReadonlyMap<string, JwtProvider>, request: Request, fetchJwks: JwksFetcher, failedOk: boolean): Promise<Outcome> {
  const verified: VerifiedJwt[] = []
  for (const p of providers.values()) {
    const r = await one(p, request, fetchJwks)
    if (r.status === 'Ok') verified.push(...r.verified)
    else if (r.status !== 'JwtMissed' && !failedOk) return r
  }
  return { status: 'Ok', verified }
}

export async function evaluate(req: JwtRequirementIR, providers: ReadonlyMap<string, JwtProvider>, request: Request, fetchJwks: JwksFetcher): Promise<Outcome> {
  switch (req.kind) {
    case 'provider':
      return one(providers.get(req.provider)!, request, fetchJwks, req.audiences)
    case 'requires_any': {
      let firstError: Outcome | undefined
      for (const child of req.requirements) {
        const r = await evaluate(child, providers, request, fetchJwks)
        if (r.status === 'Ok') return r
        if (r.status !== 'JwtMissed') firstError ??= r
      }
      return firstError ?? fail('JwtMissed')
    }
    case 'requires_all': {
      const verified: VerifiedJwt[] = []
      for (const child of req.requirements) {
        const r = await evaluate(child, providers, request, fetchJwks)
        if (r.status !== 'Ok') return r
        verified.push(...r.verified)
      }
      return { status: 'Ok', verified }
    }
    case 'allow_missing':
      return anyPresent(providers, request, fetchJwks, false)
    case 'allow_missing_or_failed':
      return anyPresent(providers, request, fetchJwks, true)
    case 'none':
      return { status: 'Ok', verified: [] }
  }
}
