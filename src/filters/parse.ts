/**
 * Parsing a filter config that already passed `loadConfig`: warnings were
 * reported then, so they are not raised again (see warningMode).
 */
import type { z } from 'zod'
import { warningMode } from '../config/schema/envoy-object.js'

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
