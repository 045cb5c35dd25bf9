/**
 * Text (YAML or JSON) → a validated Envoy config, or every problem at once.
 *
 *   parse (with positions) → normalize v2 → v3 → zod schemas → cross-checks
 *
 * Issues carry the path and line in the user's own text, whatever form it had.
 */
import type { z } from 'zod'
import { bootstrap, type BootstrapConfig } from './schema/bootstrap.js'
import { WARNING, warningMode } from './schema/envoy-object.js'
import { crossCheck } from './cross-check.js'
import type { ConfigIssue, ConfigPath } from './issues.js'
import { textNestingProblem, valueNestingProblem } from './nesting.js'
import { normalize } from './normalize.js'
import { canonicalizeProtoJson } from './proto-json.js'
import { PROTO_JSON_SCHEMAS } from './schema/any-types.js'
import { parseSource } from './yaml-source.js'

/** A config that passed every check: the typed v3 bootstrap and its v3 JSON form. */
export interface EnvoyConfig {
  readonly bootstrap: BootstrapConfig
  /** The v3 JSON form of the config, as a user could hand it to Envoy (v2 shapes rewritten). */
  readonly json: unknown
}

export type LoadResult =
  | { readonly ok: true; readonly config: EnvoyConfig; readonly errors: readonly []; readonly warnings: readonly ConfigIssue[] }
  | { readonly ok: false; readonly config?: undefined; readonly errors: readonly ConfigIssue[]; readonly warnings: readonly ConfigIssue[] }

export interface LoadOptions {
  readonly filename?: string
}

/** Load from text: YAML 1.2 (JSON is YAML too). */
export function loadConfig(text: string, _options: LoadOptions = {}): LoadResult {
  // Bounded before any parser recurses (nesting.ts).
  const deep = textNestingProblem(text)
  if (deep) return { ok: false, errors: [{ severity: 'error', code: 'too_deep', path: [], ...deep }], warnings: [] }
  const source = parseSource(text)
  if (source.syntaxErrors.length > 0) {
    const errors = source.syntaxErrors.map((e): ConfigIssue => ({ severity: 'error', code: 'syntax', path: [], message: e.message, line: e.line, column: e.column }))
    return { ok: false, errors, warnings: [] }
  }
  return validateConfig(source.value, source.locate)
}

/** Validate an already-parsed document (the admin API's JSON bodies take this path). */
export function validateConfig(value: unknown, locate?: (path: ConfigPath) => { line: number; column: number } | undefined): LoadResult {
  const shape = documentProblem(value)
  if (shape) return { ok: false, errors: [{ severity: 'error', path: [], ...shape }], warnings: [] }
  const { doc, sourcePathOf } = normalize(value, (d, moves) => canonicalizeProtoJson(d, PROTO_JSON_SCHEMAS, moves))
  const at = (issue: Omit<ConfigIssue, 'line' | 'column'>): ConfigIssue => {
    const path = sourcePathOf(issue.path)
    const pos = locate?.(path)
    return { ...issue, path, ...(pos ? { line: pos.line, column: pos.column } : {}) }
  }

  warningMode.collecting = true
  let parsed = bootstrap.safeParse(doc)
  const issues = parsed.success ? [] : parsed.error.issues
  const warnings = issues.filter(isWarning).map((i) => at(toIssue(i, 'warning')))
  const errors = issues.filter((i) => !isWarning(i)).map((i) => at(toIssue(i, 'error')))
  if (!parsed.success && errors.length === 0) {
    // Warnings were the only issues: parse again without them for the data.
    warningMode.collecting = false
    parsed = bootstrap.safeParse(doc)
    warningMode.collecting = true
  }
  // Cross-checks run whatever the schemas said, so every error is reported at once.
  const checked = crossCheck(doc)
  const allErrors = sortIssues([...errors, ...checked.filter((i) => i.severity === 'error').map(at)])
  const allWarnings = sortIssues([...warnings, ...checked.filter((i) => i.severity === 'warning').map(at)])
  if (!parsed.success || allErrors.length > 0) return { ok: false, errors: allErrors, warnings: allWarnings }
  return { ok: true, config: { bootstrap: parsed.data, json: doc }, errors: [], warnings: allWarnings }
}

/**
 * What no config can be: nothing at all (an empty file or body, `null`), or not
 * a mapping. Envoy's Bootstrap is a message; accepting these would store a
 * version that serves nothing (every request a 503).
 */
function documentProblem(value: unknown): { code: string; message: string } | undefined {
  if (value === undefined || value === null) return { code: 'empty_config', message: 'the config is empty: expected an Envoy Bootstrap (a mapping with static_resources or dynamic_resources)' }
  if (typeof value !== 'object' || Array.isArray(value))
    return { code: 'not_a_mapping', message: `the config must be a mapping (an Envoy Bootstrap), got ${Array.isArray(value) ? 'a list' : JSON.stringify(value).slice(0, 40)}` }
  const deep = valueNestingProblem(value)
  return deep ? { code: 'too_deep', message: deep } : undefined
}

const isWarning = (issue: z.core.$ZodIssue) => issue.code === 'custom' && (issue as { params?: { kind?: string } }).params?.kind === WARNING

function toIssue(issue: z.core.$ZodIssue, severity: ConfigIssue['severity']): Omit<ConfigIssue, 'line' | 'column'> {
  const kind = (issue as { params?: { kind?: string } }).params?.kind
  return { severity, code: kind && kind !== WARNING ? kind : issue.code, path: issue.path as ConfigPath, message: describe(issue) }
}

/** zod's messages, in the words of a config file: what was expected and what was there. */
function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const got = issue.input === undefined ? 'nothing' : Array.isArray(issue.input) ? 'a list' : typeof issue.input === 'object' && issue.input ? 'a mapping' : JSON.stringify(issue.input)
    if (issue.input === undefined) return `required field is missing (expected ${article(issue.expected)})`
    return `expected ${article(issue.expected)}, got ${got}`
  }
  if (issue.code === 'invalid_union') return `${issue.message}: expected one of the accepted forms`
  return issue.message
}

const article = (t: string) => ({ object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false' })[t] ?? t

const sortIssues = (issues: ConfigIssue[]) =>
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
