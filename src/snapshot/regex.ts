/**
 * The engine regex of a compiled safe_regex: the compiler already checked the
 * RE2 pattern and compiled its program; the data plane only rebuilds the
 * program (no RE2 parser), when the regex first runs. Shared by pattern: configs repeat the same regex
 * across virtual hosts, and a Re2Regex holds only caches.
 */
import type { RegexIR } from '../compile/ir.js'
import { Re2Regex } from '../regex/index.js'
import { programFromJson } from '../regex/serialize.js'

const built = new Map<string, Re2Regex>()
const MAX_CACHED = 10_000

export function regexOf(ir: RegexIR): Re2Regex {
  let re = built.get(ir.re2)
  if (!re) {
    if (built.size >= MAX_CACHED) built.clear()
    // Unpacked when the regex first runs: a route table of a thousand regexes, most of them rarely
    // reached, then loads without building a thousand programs (~2 µs each, in bench/load-child.ts).
    const program = ir.program
    built.set(ir.re2, (re = new Re2Regex(() => programFromJson(program), ir.re2)))
  }
  return re
}
