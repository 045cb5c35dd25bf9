/** Pieces shared by the filter compilers: percentages, token buckets, parsing a validated sub-config once. */
import type { z } from 'zod'
import { warningMode } from '../../config/schema/envoy-object.js'
import type { FractionIR, TokenBucketIR } from '../ir.js'

const DENOMINATORS = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const

/** `type.v3.FractionalPercent` (or a RuntimeFractionalPercent's default_value). */
export function lowerFraction(f: { numerator: number; denominator?: keyof typeof DENOMINATORS | undefined } | undefined): FractionIR | undefined {
  return f ? { numerator: f.numerator, denominator: DENOMINATORS[f.denominator ?? 'HUNDRED'] } : undefined
}

export const optionalFraction = <K extends string>(key: K, f: Parameters<typeof lowerFraction>[0]): { [P in K]?: FractionIR } => {
  const v = lowerFraction(f)
  return (v ? { [key]: v } : {}) as { [P in K]?: FractionIR }
}

export function lowerTokenBucket(b: { max_tokens: number; tokens_per_fill?: number | undefined; fill_interval: number }): TokenBucketIR {
  return { maxTokens: b.max_tokens, tokensPerFill: b.tokens_per_fill ?? 1, fillIntervalMs: b.fill_interval }
}

/**
 * Parse a sub-config that already passed `loadConfig` into its typed form:
 * the compiler's one parse of it. Warnings were reported at validation, so
 * none are raised again.
 */
export function parseValidated<T extends z.ZodType>(schema: T, raw: unknown, where: string): z.output<T> {
  const before = warningMode.collecting
  warningMode.collecting = false
  try {
    const parsed = schema.safeParse(raw)
    if (!parsed.success) {
      const first = parsed.error.issues[0]
      throw new Error(`${where}: ${first ? `${first.path.join('.')}${first.path.length ? ': ' : ''}${first.message}` : 'invalid config'}`)
    }
    return parsed.data
  } finally {
    warningMode.collecting = before
  }
}
