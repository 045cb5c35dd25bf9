/**
 * `type.matcher.v3.StringMatcher` → a predicate.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/string.proto
 */
import type { StringMatcherConfig } from '../config/schema/matchers.js'
import { compileRe2FullMatch } from '../config/re2.js'
import type { StringMatch } from './types.js'

/**
 * Compiled full-match regexes by pattern: configs repeat the same safe_regex
 * across virtual hosts and recompiles, and translating RE2 is the costly part.
 * Sharing is safe: the RegExps have no 'g'/'y' flag, so `test` keeps no state.
 */
const compiled = new Map<string, RegExp>()
const MAX_CACHED = 10_000

/** A safe_regex that already passed validation; compiling it again cannot fail. */
export function fullMatchRegex(pattern: string, ignoreCase = false): RegExp {
  const key = (ignoreCase ? 'i:' : 's:') + pattern
  const hit = compiled.get(key)
  if (hit) return hit
  const r = compileRe2FullMatch(pattern, { ignoreCase })
  if (!r.ok) throw new Error(`regex passed validation but does not compile: ${r.message}`)
  if (compiled.size >= MAX_CACHED) compiled.clear()
  compiled.set(key, r.regex)
  return r.regex
}

export function compileStringMatcher(m: StringMatcherConfig): StringMatch {
  const ic = m.ignore_case === true
  const norm = ic ? (s: string) => s.toLowerCase() : (s: string) => s
  if (m.exact !== undefined) {
    const want = norm(m.exact)
    return (v) => norm(v) === want
  }
  if (m.prefix !== undefined) {
    const want = norm(m.prefix)
    return (v) => norm(v).startsWith(want)
  }
  if (m.suffix !== undefined) {
    const want = norm(m.suffix)
    return (v) => norm(v).endsWith(want)
  }
  if (m.contains !== undefined) {
    const want = norm(m.contains)
    return (v) => norm(v).includes(want)
  }
  // ignore_case has no effect on safe_regex in Envoy; use (?i) in the pattern.
  const re = fullMatchRegex(m.safe_regex!.regex)
  return (v) => re.test(v)
}

export function describeStringMatcher(m: StringMatcherConfig): string {
  const ic = m.ignore_case ? ' (ignore case)' : ''
  if (m.exact !== undefined) return `exact ${JSON.stringify(m.exact)}${ic}`
  if (m.prefix !== undefined) return `prefix ${JSON.stringify(m.prefix)}${ic}`
  if (m.suffix !== undefined) return `suffix ${JSON.stringify(m.suffix)}${ic}`
  if (m.contains !== undefined) return `contains ${JSON.stringify(m.contains)}${ic}`
  return `regex ${JSON.stringify(m.safe_regex!.regex)}`
}
