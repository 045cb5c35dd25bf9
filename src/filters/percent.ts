/**
 * `type.v3.FractionalPercent` decisions with injected randomness.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/v3/percent.proto
 */
const DENOMINATORS = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const

export interface Fraction {
  readonly numerator: number
  readonly denominator?: keyof typeof DENOMINATORS | undefined
}

export const denominatorOf = (f: Fraction | undefined): number => DENOMINATORS[f?.denominator ?? 'HUNDRED']

/** True for `numerator/denominator` of draws; a missing fraction is `fallback` (Envoy's per-field default). */
export function sampled(f: Fraction | undefined, random: () => number, fallback: boolean): boolean {
  if (!f) return fallback
  const d = denominatorOf(f)
  if (f.numerator >= d) return true
  return Math.floor(random() * d) < f.numerator
}
