/**
 * `type.v3.FractionalPercent` decisions with injected randomness; the
 * compiler turned the denominator into a number.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/v3/percent.proto
 */
import type { Fraction } from '../compile/types.js'

export type { Fraction }

/** True for `numerator/denominator` of draws; a missing fraction is `fallback` (Envoy's per-field default). */
export function sampled(f: Fraction | undefined, random: () => number, fallback: boolean): boolean {
  if (!f) return fallback
  if (f.numerator >= f.denominator) return true
  return Math.floor(random() * f.denominator) < f.numerator
}
