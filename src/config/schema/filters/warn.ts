/**
 * A config warning with its own message, raised at validate time (see
 * warningMode in ../envoy-object.ts): for accepted configs whose meaning
 * edgevoy carries out only in part.
 */
import type { z } from 'zod'
import { WARNING, warningMode } from '../envoy-object.js'

export function warnWhen<S extends z.ZodType>(schema: S, message: (value: z.output<S>) => string | undefined): S {
  return schema.superRefine((value, ctx) => {
    if (!warningMode.collecting) return
    const m = message(value as z.output<S>)
    if (m) ctx.addIssue({ code: 'custom', path: [], message: m, params: { kind: WARNING } })
  }) as S
}
