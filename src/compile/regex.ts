/**
 * A validated safe_regex → RegexIR: the RE2 pattern and its engine program,
 * so the data plane runs it without the RE2 parser.
 */
import { compileRe2Program } from '../config/re2.js'
import { programToJson } from '../regex/serialize.js'
import type { RegexIR } from './ir.js'

const lowered = new Map<string, RegexIR>()
const MAX_CACHED = 10_000

/** Envoy's regex matchers are RE2::FullMatch and regex_rewrite RE2::GlobalReplace: one program serves both. */
export function regexIR(pattern: string): RegexIR {
  let ir = lowered.get(pattern)
  if (!ir) {
    if (lowered.size >= MAX_CACHED) lowered.clear()
    lowered.set(pattern, (ir = { re2: pattern, program: programToJson(compileRe2Program(pattern)) }))
  }
  return ir
}

export const fullMatchRegexIR = regexIR
export const searchRegexIR = regexIR
