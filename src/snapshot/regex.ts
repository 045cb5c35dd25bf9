/**
 * The RegExp of a compiled safe_regex. The compiler already translated the
 * RE2 pattern (src/config/re2) and checked it; the data plane only builds
 * the RegExp from the translation. Shared by pattern: configs repeat the same
 * regex across virtual hosts, and RegExps without g/y keep no state.
 */
import type { RegexIR } from '../compile/ir.js'

const built = new Map<string, RegExp>()
const MAX_CACHED = 10_000

/** The regex as a RegExp; `extraFlags` (e.g. 'g' for a rewrite) gives a RegExp of its own. */
export function regexOf(ir: RegexIR, extraFlags = ''): RegExp {
  if (extraFlags) return new RegExp(ir.source, ir.flags + extraFlags)
  const key = `${ir.flags}\u0000${ir.source}`
  let re = built.get(key)
  if (!re) {
    if (built.size >= MAX_CACHED) built.clear()
    built.set(key, (re = new RegExp(ir.source, ir.flags)))
  }
  return re
}
