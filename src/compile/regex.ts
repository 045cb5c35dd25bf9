/**
 * A validated safe_regex → RegexIR: the RE2 pattern and its JS translation,
 * so the data plane builds the RegExp without the translator.
 */
import { compileRe2, compileRe2FullMatch } from '../config/re2.js'
import type { RegexIR } from './ir.js'

/** Full match (`^(?:…)$`), as Envoy's safe_regex matchers require. */
export function fullMatchRegexIR(pattern: string): RegexIR {
  const r = compileRe2FullMatch(pattern)
  if (!r.ok) throw new Error(`regex passed validation but does not compile: ${r.message}`)
  return { re2: pattern, source: r.source, flags: r.flags }
}

/** Unanchored (rewrites: RE2::GlobalReplace). */
export function searchRegexIR(pattern: string): RegexIR {
  const r = compileRe2(pattern)
  if (!r.ok) throw new Error(`regex passed validation but does not compile: ${r.message}`)
  return { re2: pattern, source: r.source, flags: r.flags }
}
