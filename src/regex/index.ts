/**
 * edgevoy's regex engine: RE2 semantics in time linear in the input, for
 * every regex a config can hold (route, header and query matchers,
 * regex_rewrite, rbac, cors, jwt_authn rules). V8's RegExp backtracks, so a
 * valid RE2 pattern such as `^/(a+)+$` could take seconds on a 30-character
 * path and stall the isolate; Envoy runs RE2, which cannot. Programs come from
 * the RE2 parser that validates configs (src/config/re2/program.ts), so the
 * checker and the engine never disagree on what a pattern means.
 *
 * Yes/no full matches run on a lazily built DFA (one table load per
 * character); submatches (regex_rewrite), and patterns with `\b` or `(?m)`
 * anchors, run on RE2's BitState for small searches and on the Pike VM
 * beyond. All three are O(text × program).
 */
import { lazyModule } from '../lazy-module.js'
import type { ENGINE } from './engine.js'

export type { Program } from './program.js'
export type { Re2Regex } from './re2-regex.js'

/**
 * The machines and the Re2Regex class (engine.ts), installed when that module
 * is evaluated: the control plane imports it statically, the data plane
 * through `loadRegexEngine()` before it links a snapshot that holds a regex
 * (snapshot/load.ts `readySnapshot`; a regex is built while linking).
 */
const engine = lazyModule(async () => (await import('./engine.js')).ENGINE)

export function installRegexEngine(e: typeof ENGINE): void {
  engine.install(e)
}

/** Import the engine (once per isolate). */
export async function loadRegexEngine(): Promise<void> {
  await engine.load()
}

export function regexEngine(): typeof ENGINE {
  return engine.expect('edgevoy: the regex engine is not loaded: await loadRegexEngine() before linking or serving a snapshot with regexes')
}

/** Whether `value` is a Re2Regex (none exists before the engine is loaded). */
export function isRe2Regex(value: object): boolean {
  const e = engine.get()
  return e !== undefined && value instanceof e.Re2Regex
}
