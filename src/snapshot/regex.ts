/**
 * The engine regex of a compiled safe_regex: the compiler already checked the
 * RE2 pattern and compiled its program; the data plane only rebuilds the
 * program (no RE2 parser), when the regex first runs. Shared by pattern: configs repeat the same regex
 * across virtual hosts, and a Re2Regex holds only caches.
 */
import type { RegexIR } from '../compile/ir.js'
import { regexEngine, type Re2Regex } from '../regex/index.js'

const built = new Map<string, Re2Regex>()
const MAX_CACHED = 10_000
/**
 * Whether serialized snapshot text holds a regex anywhere, also where it is
 * linked only when first used (a health check's service_name_matcher): a
 * RegexIR is the only object with an `re2` key (inside a JSON string the
 * quotes would be escaped).
 */
export const holdsRegex = (text: string): boolean => text.includes('"re2":')

export function regexOf(ir: RegexIR): Re2Regex {
  let re = built.get(ir.re2)
  if (!re) {
    if (built.size >= MAX_CACHED) built.clear()
    // Unpacked when the regex first runs (its DFA starts then too): a route table of a thousand
    // regexes, most rarely reached, loads without building a thousand programs. The bench's load
    // section prints the unpacking a first run pays (~10–30 µs per regex on a shared 2-core machine).
    const program = ir.program
    const engine = regexEngine()
    built.set(ir.re2, (re = new engine.Re2Regex(() => engine.programFromJson(program), ir.re2)))
  }
  return re
}
