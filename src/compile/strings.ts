/**
 * `type.matcher.v3.StringMatcher` → a predicate.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/string.proto
 */
import type { StringMatcherConfig } from '../config/schema/matchers.js'
import { compileRe2Regex } from '../config/re2.js'
import type { Re2Regex } from '../regex/index.js'
import type { StringMatch } from './types.js'

/**
 * A safe_regex that already passed validation, on the linear-time engine
 * (src/regex/). Envoy's regex matchers are RE2::FullMatch. Compiled regexes
 * are shared by pattern (configs repeat them across virtual hosts and
 * recompiles); they hold only caches, so sharing is safe.
 */
export function fullMatchRegex(pattern: string, ignoreCase = false): Re2Regex {
  return compileRe2Regex(pattern, { ignoreCase })
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
  return (v) => re.fullMatch(v)
}

export function describeStringMatcher(m: StringMatcherConfig): string {
  const ic = m.ignore_case ? ' (ignore case)' : ''
  if (m.exact !== undefined) return `exact ${JSON.stringify(m.exact)}${ic}`
  if (m.prefix !== undefined) return `prefix ${JSON.stringify(m.prefix)}${ic}`
  if (m.suffix !== undefined) return `suffix ${JSON.stringify(m.suffix)}${ic}`
  if (m.contains !== undefined) return `contains ${JSON.stringify(m.contains)}${ic}`
  return `regex ${JSON.stringify(m.safe_regex!.regex)}`
}
