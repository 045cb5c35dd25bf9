/**
 * Matcher messages shared by routes and filters: `type.matcher.v3.StringMatcher`,
 * `RegexMatcher`, `config.route.v3.HeaderMatcher`, `QueryParameterMatcher`,
 * and `config.core.v3.HeaderValueOption`.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/string.proto
 */
import { z } from 'zod'
import { compileRe2, compileRe2Regex } from '../re2.js'
import { envoyEnum, envoyObject, uint32, WARNING, warningMode } from './envoy-object.js'

/**
 * Envoy refuses a regex whose RE2 program is larger than 100 instructions by
 * default (runtime `re2.max_program_size.error_level`); edgevoy's program is
 * close to RE2's but not identical, so it warns instead, and says why it
 * matters: matching costs program size × input length.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/regex.proto
 */
const ENVOY_MAX_PROGRAM_SIZE = 100

/** An RE2 pattern: rejected here if RE2 (or JS) can't take it. */
export const re2Pattern = z.string().superRefine((pattern, ctx) => {
  const result = compileRe2(pattern)
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: `invalid regex ${JSON.stringify(pattern)}: ${result.message}`, params: { kind: 'invalid_regex' } })
    return
  }
  const size = compileRe2Regex(pattern).programSize
  if (warningMode.collecting && size > ENVOY_MAX_PROGRAM_SIZE) {
    const message = `regex ${JSON.stringify(pattern)} compiles to ${size} instructions: Envoy refuses RE2 programs over ${ENVOY_MAX_PROGRAM_SIZE} by default (re2.max_program_size.error_level), and matching time grows with program size × input length`
    ctx.addIssue({ code: 'custom', message, params: { kind: WARNING } })
  }
})

/** `type.matcher.v3.RegexMatcher`: `google_re2` is the only engine, and optional. */
export const regexMatcher = envoyObject({
  regex: re2Pattern,
  google_re2: envoyObject({}, {
    ignored: ['max_program_size'],
    notes: { max_program_size: "edgevoy's regex engine runs in linear time whatever the program size; programs over Envoy's default limit of 100 instructions get a warning instead" },
  }).optional(),
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
}).superRefine((q, ctx) => {
  // v2 `regex: true` makes `value` an RE2 pattern: checked like every other regex.
  const result = q.regex === true && q.value ? compileRe2(q.value) : undefined
  if (result && !result.ok) ctx.addIssue({ code: 'custom', message: `invalid regex ${JSON.stringify(q.value)}: ${result.message}`, path: ['value'], params: { kind: 'invalid_regex' } })
})
export type QueryParameterMatcherConfig = z.output<typeof queryParameterMatcher>

/**
 * The command operators edgevoy fills in in a header value (src/router/headers.ts).
 * Envoy refuses a value it cannot parse: so does edgevoy. An operator Envoy has
 * and edgevoy does not fill in is warned about and formats as empty (the header
 * is then skipped unless keep_empty_value), never sent literally.
 */
export const HEADER_VALUE_OPERATORS = ['DOWNSTREAM_REMOTE_ADDRESS', 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'REQ', 'PROTOCOL', 'UPSTREAM_REMOTE_ADDRESS', 'START_TIME', 'HOSTNAME'] as const

/**
 * A header value's `%…%` commands checked as Envoy's parser does
 * (source/common/router/header_parser.cc: "Un-terminated variable expression"):
 * malformed → errors; operators edgevoy does not fill in → warnings.
 */
export function headerValueProblems(value: string): { errors: string[]; warnings: string[] } {
  const errors: string[] = []
  const warnings: string[] = []
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '%') continue
    if (value[i + 1] === '%') {
      i++
      continue
    }
    const m = /^%([A-Z][A-Z0-9_]*)(\([^)]*\))?(:\d+)?%/.exec(value.slice(i))
    if (!m) {
      errors.push(`Invalid header configuration. Un-terminated variable expression '${value.slice(i + 1)}' (write %% for a literal %)`)
      break
    }
    if (!(HEADER_VALUE_OPERATORS as readonly string[]).includes(m[1]!))
      warnings.push(`header value command %${m[1]}% is not filled in by edgevoy: it formats as empty (supported: ${HEADER_VALUE_OPERATORS.join(', ')})`)
    i += m[0].length - 1
  }
  return { errors, warnings }
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
  const { errors, warnings } = headerValueProblems(h.header.value ?? '')
  for (const message of errors) ctx.addIssue({ code: 'custom', path: ['header', 'value'], message, params: { kind: 'invalid_header' } })
  if (warningMode.collecting) for (const message of warnings) ctx.addIssue({ code: 'custom', path: ['header', 'value'], message, params: { kind: WARNING } })
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
