/**
 * The claim a `JwtClaimToHeader` names: `claim_path` (a list of keys into
 * nested claims, for keys that contain ".") or `claim_name` (nested claims
 * separated by ".", e.g. "address.country"). Only scalar claims are copied.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto#extensions-filters-http-jwt-authn-v3-jwtclaimtoheader
 */
export interface ClaimToHeader {
  readonly claim_name?: string | undefined
  readonly claim_path?: readonly { readonly key: string }[] | undefined
}

export function claimAt(payload: Readonly<Record<string, unknown>>, entry: ClaimToHeader): string | undefined {
  const keys = entry.claim_path ? entry.claim_path.map((s) => s.key) : (entry.claim_name ?? '').split('.')
  let v: unknown = payload
  for (const k of keys) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, k)) return undefined
    v = (v as Record<string, unknown>)[k]
  }
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined
}
