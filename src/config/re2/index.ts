/**
 * RE2 patterns: validation, the linear-time engine, and a JS RegExp
 * translation. Envoy's `safe_regex` is Google RE2
 * (https://github.com/google/re2/wiki/Syntax). A small recursive-descent
 * scanner reads the pattern with RE2's own grammar (modelled on
 * re2/parse.cc), so a config edgevoy accepts also loads in Envoy, and nothing
 * RE2 refuses (backreferences, lookaround, possessive and atomic groups) is
 * accepted. Configured regexes *run* on `compileRe2Regex` (src/regex/, linear
 * time, as RE2): V8's backtracking RegExp can take exponential time on valid
 * RE2 such as `^/(a+)+$`.
 *
 * The JS RegExp translation (`compileRe2`) is kept as the validator's second
 * opinion (its errors are part of validation) and as the reference the
 * engine is tested against. Its source is emitted from the parsed tree, never
 * by rewriting the pattern text, and always with flag `u` so every character
 * is escaped on our terms and `.` and classes match whole code points as RE2 does.
 *
 * Flags: `(?i)` that covers every cased atom becomes the JS `i` flag; a partial
 * one (`a(?i:b)`) is expanded into case-folded classes (`[bB]`), except that
 * `\p{..}` inside a partial `(?i)` is rejected. `(?s)`, `(?m)` and `(?U)` are
 * applied per atom (`.` → `[\s\S]`, `^` → `(?<![^\n])`, lazy ↔ greedy), so JS
 * flags `s`/`m` are never set and `^`/`$` in the output are whole-text anchors.
 */

import type { Program } from '../../regex/index.js'
import { Re2Regex } from '../../regex/re2-regex.js'
// The control plane runs regexes (validation, compile-time checks): the engine is loaded with it.
import '../../regex/engine.js'
import { emitAlts } from './emit.js'
import { canFoldGlobally } from './fold.js'
import { Parser } from './parse.js'
import { compileProgram } from './program.js'
import { Re2Error, type Node } from './tree.js'

export type Re2Result =
  | { ok: true; regex: RegExp; source: string; flags: string }
  | { ok: false; message: string; index?: number }

export interface Re2Options {
  /** Start with RE2's case-folding flag on, as `(?i)` would. */
  readonly ignoreCase?: boolean
}

/** Validate an RE2 pattern and translate it into an equivalent JS RegExp (flag 'u'; no 'g'/'y'). Not for matching requests: see compileRe2Regex. */
export function compileRe2(pattern: string, options?: Re2Options): Re2Result {
  return cached('p', pattern, options, (s) => s)
}

/** Anchored full-match version, as Envoy's safe_regex route match requires the whole path to match: ^(?:pattern)$ */
export function compileRe2FullMatch(pattern: string, options?: Re2Options): Re2Result {
  return cached('f', pattern, options, (s) => `^(?:${s})$`)
}

/**
 * The pattern for edgevoy's linear-time engine (src/regex/): what every
 * configured regex runs on. Throws on a pattern `compileRe2` rejects, so
 * validation errors stay those of the translator above.
 */
/** The engine program of a pattern that passed validation (the serialized snapshot carries it). */
export function compileRe2Program(pattern: string, options?: Re2Options): Program {
  const checked = compileRe2(pattern, options)
  if (!checked.ok) throw new Error(`invalid regex ${JSON.stringify(pattern)}: ${checked.message}`)
  return compileProgram(new Parser(pattern, options?.ignoreCase === true).parse())
}

export function compileRe2Regex(pattern: string, options?: Re2Options): Re2Regex {
  const key = `${options?.ignoreCase ? 'i' : 's'}\u0000${pattern}`
  let regex = engines.get(key)
  if (regex === undefined) {
    const checked = compileRe2(pattern, options)
    if (!checked.ok) throw new Error(`invalid regex ${JSON.stringify(pattern)}: ${checked.message}`)
    if (engines.size >= CACHE_LIMIT) engines.clear()
    regex = new Re2Regex(compileProgram(new Parser(pattern, options?.ignoreCase === true).parse()), pattern)
    engines.set(key, regex)
  }
  return regex
}
const engines = new Map<string, Re2Regex>()

/**
 * Every safe_regex is translated when the config is validated and again when
 * it is compiled: remember results by pattern (they are immutable; the RegExps
 * carry no g/y state). Bounded, so a stream of configs cannot grow it forever.
 */
const CACHE_LIMIT = 20_000
const cache = new Map<string, Re2Result>()
function cached(kind: string, pattern: string, options: Re2Options | undefined, wrap: (s: string) => string): Re2Result {
  const key = `${kind}${options?.ignoreCase ? 'i' : ''}\u0000${pattern}`
  let result = cache.get(key)
  if (result === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear()
    result = build(pattern, options, wrap)
    cache.set(key, result)
  }
  return result
}

function build(pattern: string, options: Re2Options | undefined, wrap: (s: string) => string): Re2Result {
  let alts: Node[][]
  let source: string
  let fold: boolean
  try {
    alts = new Parser(pattern, options?.ignoreCase === true).parse()
    fold = canFoldGlobally(alts, options?.ignoreCase === true)
    source = wrap(emitAlts(alts, fold))
  } catch (e) {
    if (!(e instanceof Re2Error)) throw e
    let message = `${e.message} at offset ${e.index}`
    if (e.syntax) {
      // The engine's own wording helps people who know JS regexes; only quoted when JS agrees it is invalid.
      try {
        new RegExp(pattern)
      } catch (js) {
        message += ` (JavaScript: ${(js as Error).message})`
      }
    }
    return { ok: false, message, index: e.index }
  }
  const flags = fold ? 'ui' : 'u'
  try {
    return { ok: true, regex: new RegExp(source, flags), source, flags }
  } catch (e) {
    return { ok: false, message: `cannot translate RE2 pattern to JavaScript: ${(e as Error).message}` }
  }
}
