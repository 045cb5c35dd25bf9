/**
 * `type.matcher.v3.StringMatcher` → StringMatcherIR.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/string.proto
 */
import type { StringMatcherConfig } from '../config/schema/matchers.js'
import type { StringMatcherIR } from './ir.js'
import { fullMatchRegexIR } from './regex.js'

export function lowerStringMatcher(m: StringMatcherConfig): StringMatcherIR {
  const ic = m.ignore_case === true ? { ignoreCase: true as const } : {}
  if (m.exact !== undefined) return { kind: 'exact', value: m.exact, ...ic }
  if (m.prefix !== undefined) return { kind: 'prefix', value: m.prefix, ...ic }
  if (m.suffix !== undefined) return { kind: 'suffix', value: m.suffix, ...ic }
  if (m.contains !== undefined) return { kind: 'contains', value: m.contains, ...ic }
  // ignore_case has no effect on safe_regex in Envoy; use (?i) in the pattern.
  return { kind: 'regex', regex: fullMatchRegexIR(m.safe_regex!.regex) }
}

export function describeStringMatcher(m: StringMatcherConfig): string {
  const ic = m.ignore_case ? ' (ignore case)' : ''
  if (m.exact !== undefined) return `exact ${JSON.stringify(m.exact)}${ic}`
  if (m.prefix !== undefined) return `prefix ${JSON.stringify(m.prefix)}${ic}`
  if (m.suffix !== undefined) return `suffix ${JSON.stringify(m.suffix)}${ic}`
  if (m.contains !== undefined) return `contains ${JSON.stringify(m.contains)}${ic}`
  return `regex ${JSON.stringify(m.safe_regex!.regex)}`
}
