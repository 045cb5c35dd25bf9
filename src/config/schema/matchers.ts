/**
 * Matcher messages shared by routes and filters: `type.matcher.v3.StringMatcher`,
 * `RegexMatcher`, `config.route.v3.HeaderMatcher`, `QueryParameterMatcher`,
 * and `config.core.v3.HeaderValueOption`.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/string.proto
 */
import { z } from 'zod'
import { compileRe2 } from '../re2.js'
import { envoyEnum, envoyObject, uint32 } from './envoy-object.js'

/** An RE2 pattern: rejected here if RE2 (or JS) can't take it. */
export const re2Pattern = z.string().superRefine((pattern, ctx) => {
  const result = compileRe2(pattern)
  if (!result.ok) ctx.addIssue({ code: 'custom', message: `invalid regex ${JSON.stringify(pattern)}: ${result.message}`, params: { kind: 'invalid_regex' } })
})

/** `type.matcher.v3.RegexMatcher`: `google_re2` is the only engine, and optional. */
export const regexMatcher = envoyObject({
  regex: re2Pattern,
  google_re2: z.object({ max_program_size: z.unknown().optional() }).optional(),
})

export const stringMatcher = envoyObject({
  exact: z.string().optional(),
  prefix: z.string().min(1).optional(),
  suffix: z.string().min(1).optional(),
  contains: z.string().min(1).optional(),
  safe_regex: regexMatcher.optional(),
  ignore_case: z.boolean().optional(),
}).superRefine((m, ctx) => {
  const set = ['exact', 'prefix', 'suffix', 'contains', 'safe_regex'].filter((k) => (m as Record<string, unknown>)[k] !== undefined)
  if (set.length !== 1)
    ctx.addIssue({ code: 'custom', message: `a string matcher needs exactly one of exact, prefix, suffix, contains, safe_regex (got ${set.length ? set.join(', ') : 'none'})` })
})
export type StringMatcherConfig = z.output<typeof stringMatcher>

/** `type.v3.Int64Range`: [start, end). */
const int64Range = envoyObject({ start: z.coerce.number(), end: z.coerce.number() })

export const headerMatcher = envoyObject(
  {
    name: z.string().min(1),
    exact_match: z.string().optional(),
    safe_regex_match: regexMatcher.optional(),
    range_match: int64Range.optional(),
    present_match: z.boolean().optional(),
    prefix_match: z.string().optional(),
    suffix_match: z.string().optional(),
    contains_match: z.string().optional(),
    string_match: stringMatcher.optional(),
    invert_match: z.boolean().optional(),
    treat_missing_header_as_empty: z.boolean().optional(),
  },
).superRefine((m, ctx) => {
  const kinds = ['exact_match', 'safe_regex_match', 'range_match', 'present_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match']
  const set = kinds.filter((k) => (m as Record<string, unknown>)[k] !== undefined)
  if (set.length > 1) ctx.addIssue({ code: 'custom', message: `a header matcher takes one match kind, got ${set.join(', ')}` })
})
export type HeaderMatcherConfig = z.output<typeof headerMatcher>

export const queryParameterMatcher = envoyObject({
  name: z.string().min(1),
  string_match: stringMatcher.optional(),
  present_match: z.boolean().optional(),
  /** v2: `value` + `regex: true|false`. */
  value: z.string().optional(),
  regex: z.boolean().optional(),
})
export type QueryParameterMatcherConfig = z.output<typeof queryParameterMatcher>

/**
 * The command operators a header value may use (src/router/headers.ts fills
 * them in). Envoy refuses a value it cannot parse or an operator it does not
 * know, so edgevoy refuses one it would not fill in rather than send it literally.
 */
export const HEADER_VALUE_OPERATORS = ['DOWNSTREAM_REMOTE_ADDRESS', 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'REQ', 'PROTOCOL', 'UPSTREAM_REMOTE_ADDRESS', 'START_TIME', 'HOSTNAME'] as const

/**
 * Problems in a header value's `%…%` commands, with Envoy's wording where it has one
 * (source/common/router/header_parser.cc: "Un-terminated variable expression").
 */
export function headerValueProblems(value: string): string[] {
  const problems: string[] = []
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '%') continue
    if (value[i + 1] === '%') {
      i++
      continue
    }
    const m = /^%([A-Z][A-Z0-9_]*)(\([^)]*\))?%/.exec(value.slice(i))
    if (!m) {
      problems.push(`Invalid header configuration. Un-terminated variable expression '${value.slice(i + 1)}' (write %% for a literal %)`)
      break
    }
    if (!(HEADER_VALUE_OPERATORS as readonly string[]).includes(m[1]!)) problems.push(`header value command %${m[1]}% is not supported by edgevoy (supported: ${HEADER_VALUE_OPERATORS.join(', ')})`)
    i += m[0].length - 1
  }
  return problems
}

/** `config.core.v3.HeaderValueOption`. */
export const headerValueOption = envoyObject({
  header: envoyObject({ key: z.string().min(1), value: z.string().optional(), raw_value: z.string().optional() }),
  /** Deprecated in v3 for `append_action`; default true. */
  append: z.union([z.boolean(), z.object({ value: z.boolean() })]).optional(),
  append_action: envoyEnum(['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS']).optional(),
  keep_empty_value: z.boolean().optional(),
}).superRefine((h, ctx) => {
  // Envoy (header_parser.cc): "Both append and append_action are set and it's not allowed".
  if (h.append !== undefined && h.append_action !== undefined)
    ctx.addIssue({ code: 'custom', path: ['append'], message: "Both append and append_action are set and it's not allowed", params: { kind: 'conflict' } })
  // :path and :authority have the route's rewrites; Envoy refuses every :-prefixed header here.
  if (h.header.key.startsWith(':'))
    ctx.addIssue({ code: 'custom', path: ['header', 'key'], message: `":-prefixed headers may not be modified" (${h.header.key}): use the route's prefix_rewrite / host_rewrite_literal`, params: { kind: 'invalid_header' } })
  for (const problem of headerValueProblems(h.header.value ?? '')) ctx.addIssue({ code: 'custom', path: ['header', 'value'], message: problem, params: { kind: 'invalid_header' } })
})

/** A `*_headers_to_remove` entry: Envoy refuses :-prefixed headers and host. */
const headerToRemove = z.string().min(1).refine((name) => !name.startsWith(':') && name.toLowerCase() !== 'host', { message: ':-prefixed or host headers may not be removed' })
export type HeaderValueOptionConfig = z.output<typeof headerValueOption>

/** The add/remove header fields that route configs, virtual hosts, routes and weighted clusters share. */
export const headerMutationFields = {
  request_headers_to_add: z.array(headerValueOption).max(1000).optional(),
  request_headers_to_remove: z.array(headerToRemove).optional(),
  response_headers_to_add: z.array(headerValueOption).max(1000).optional(),
  response_headers_to_remove: z.array(headerToRemove).optional(),
}

export const percent = envoyObject({ value: z.number().min(0).max(100) })
export const fractionalPercent = envoyObject({
  numerator: uint32,
  denominator: envoyEnum(['HUNDRED', 'TEN_THOUSAND', 'MILLION']).optional(),
})
