/**
 * Building blocks for Envoy message schemas.
 *
 * Envoy rejects a field its protos don't have; edgevoy does too, with a
 * suggestion. Fields Envoy has but edgevoy does not act on are either
 * warnings (the answer to a request stays the same) or errors (ignoring them
 * would change routing), so nothing is ever dropped silently.
 */
import { z } from 'zod'
import { didYouMean } from '../suggest.js'

/**
 * While `collecting` is true, ignored fields raise warning issues; a second
 * parse with it false yields the data when warnings were the only issues.
 * (zod has no warnings, and a refinement can't see its absolute path.)
 */
export const warningMode = { collecting: true }

export const WARNING = 'edgevoy_warning'

export interface EnvoyObjectOptions {
  /** Envoy fields edgevoy accepts and does not act on: a warning each. */
  readonly ignored?: readonly string[]
  /** Envoy fields whose meaning edgevoy can't honour and would change routing: an error each. */
  readonly unsupported?: Readonly<Record<string, string>>
  /** Why an ignored field is ignored, when it deserves more than the default. */
  readonly notes?: Readonly<Record<string, string>>
  /**
   * Fields in `shape` (so still validated) that nothing in edgevoy reads: a
   * warning each when set, "X is accepted but not applied by edgevoy: reason".
   * The schema-field audit (test/node/schema-audit.test.ts) finds them here.
   */
  readonly notApplied?: Readonly<Record<string, string>>
}

/** The not-applied reason of a field's schema (each such field gets a schema instance of its own). */
const notAppliedReasons = new WeakMap<z.ZodType, string>()
export const notAppliedReason = (fieldSchema: unknown): string | undefined => notAppliedReasons.get(fieldSchema as z.ZodType)

/**
 * A z.object over an Envoy message: known keys validated by `shape`,
 * ignored keys warned about, anything else an `unknown_field` error.
 */
export function envoyObject<S extends z.ZodRawShape>(rawShape: S, options: EnvoyObjectOptions = {}) {
  const notApplied = options.notApplied ?? {}
  const shape = { ...rawShape }
  for (const [field, reason] of Object.entries(notApplied)) {
    if (!(field in shape)) throw new Error(`notApplied field "${field}" is not in the shape`)
    const own = (shape[field] as unknown as z.ZodType).clone()
    notAppliedReasons.set(own, reason)
    ;(shape as Record<string, unknown>)[field] = own
  }
  const known = Object.keys(shape)
  const ignored = new Set(options.ignored ?? [])
  const unsupported = options.unsupported ?? {}
  const candidates = [...known, ...ignored, ...Object.keys(unsupported)]
  return z
    .object(shape)
    .catchall(z.unknown())
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (key in notApplied) {
          if (warningMode.collecting && (value as Record<string, unknown>)[key] !== undefined)
            ctx.addIssue({ code: 'custom', path: [key], message: `${key} is accepted but not applied by edgevoy: ${notApplied[key]}`, params: { kind: WARNING } })
          continue
        }
        if (key in shape) continue
        if (key in unsupported) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} is not supported by edgevoy: ${unsupported[key]}`, params: { kind: 'unsupported_field' } })
        } else if (ignored.has(key)) {
          if (!warningMode.collecting) continue
          const note = options.notes?.[key] ?? 'edgevoy reads it but does not act on it'
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} is ignored: ${note}`, params: { kind: WARNING } })
        } else if ((value as Record<string, unknown>)[key] === null) {
          // Envoy loads a null field it does not know as unset: its own docs configs, validated
          // by its CI (docs/BUILD "configs" → configs/BUILD example_configs), hold
          // `uncompressible_response_code:` with no value. Said, not failed.
          if (!warningMode.collecting) continue
          const hint = didYouMean(key, candidates)
          ctx.addIssue({ code: 'custom', path: [key], message: `unknown field "${key}" has no value and is ignored, as Envoy ignores it${hint ? ` (did you mean "${hint}"?)` : ''}`, params: { kind: WARNING } })
        } else {
          const hint = didYouMean(key, candidates)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
            params: { kind: 'unknown_field' },
          })
        }
      }
    }, {
      // Runs even when a declared field failed (zod skips refinements after an
      // aborting issue by default): an object's own unknown/unsupported fields
      // are reported together with its children's errors, every error at once.
      when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
    })
}

/**
 * An Envoy enum. Proto JSON enum names are upper case; v2-era configs wrote
 * some in lower case (`type: "strict_dns"`), which Envoy accepted, so case is
 * ignored where `caseInsensitive` is set.
 */
export function envoyEnum<const T extends readonly [string, ...string[]]>(values: T, options: { caseInsensitive?: boolean } = {}) {
  return z.string().transform((raw, ctx): T[number] => {
    const value = options.caseInsensitive ? raw.toUpperCase() : raw
    if ((values as readonly string[]).includes(value)) return value as T[number]
    const hint = didYouMean(raw, values)
    ctx.addIssue({
      code: 'custom',
      message: `invalid value "${raw}": expected one of ${values.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
      params: { kind: 'invalid_enum' },
    })
    return z.NEVER
  })
}

/**
 * A protobuf `Duration` in proto-JSON form (`"0.25s"`) or as `{seconds, nanos}`, in milliseconds.
 * https://protobuf.dev/programming-guides/json/ (Duration)
 */
export const duration = z
  .union([
    z.string().regex(/^\d+(\.\d{1,9})?s$/, 'expected a duration like "0.25s" or "15s"'),
    z.object({ seconds: z.coerce.number().int().nonnegative().optional(), nanos: z.number().int().nonnegative().optional() }),
    z.number().nonnegative(),
  ])
  .transform((d) => {
    if (typeof d === 'string') return Number(d.slice(0, -1)) * 1000
    if (typeof d === 'number') return d * 1000
    return (d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1e6
  })

/** uint32 as proto-JSON writes it: a number or a decimal string. */
export const uint32 = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.number().int().min(0).max(0xffffffff))

/** `google.protobuf.UInt32Value` / `BoolValue`: plain or wrapped in `{ value }`. */
export const wrapped = <T extends z.ZodType>(inner: T) =>
  z.union([inner, z.object({ value: inner })]).transform((v) => (v !== null && typeof v === 'object' && 'value' in (v as object) ? (v as { value: z.output<T> }).value : (v as z.output<T>)))

/** A `google.protobuf.Struct` / `Any`: kept as written, interpreted by a later stage. */
export const opaque = z.record(z.string(), z.unknown())
