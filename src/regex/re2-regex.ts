/**
 * A compiled RE2 pattern and the machines that run it (src/regex/index.ts
 * says which runs when). Part of the engine's chunk (engine.ts): a data plane
 * builds one only while linking a snapshot that holds a regex, once the
 * engine is loaded; the control plane imports it statically.
 */
import type { BitState } from './bitstate.js'
import type { LazyDfa } from './dfa.js'
import { regexEngine } from './index.js'
import type { PikeVM } from './pike.js'
import type { Program } from './program.js'

export class Re2Regex {
  // Private fields: deepFreeze (src/compile/freeze.ts) freezes the instance but cannot reach the caches.
  /** The program, or how to get it: a loaded snapshot's regexes are decoded on first use (src/snapshot/regex.ts). */
  #program: Program | (() => Program)
  #dfa: LazyDfa | undefined
  #searchDfa: LazyDfa | undefined
  #vm: PikeVM | undefined
  #bits: BitState | undefined

  constructor(
    prog: Program | (() => Program),
    /** The RE2 pattern, for messages and admin output. */
    readonly source: string,
  ) {
    this.#program = prog
  }

  get #prog(): Program {
    const p = this.#program
    return typeof p === 'function' ? (this.#program = p()) : p
  }

  /** RE2::FullMatch: the whole of `s` matches. */
  fullMatch(s: string): boolean {
    const dfa = this.#dfa
    if (dfa !== undefined) return dfa.matches(s)
    const prog = this.#prog
    if (!prog.contextual) return (this.#dfa = new (regexEngine().LazyDfa)(prog)).matches(s)
    return this.#submatch(s, 0, true, true) !== undefined
  }

  /** The leftmost-first match at or after `from`, as capture slots [start0, end0, start1, end1, …] (-1 = unset). */
  exec(s: string, from = 0): number[] | undefined {
    return this.#submatch(s, from, false, false)
  }

  /** Instructions in the program: matching costs at most this × the input length. */
  get programSize(): number {
    return this.#prog.op.length
  }

  /** Capture groups, not counting the whole match. */
  get groups(): number {
    return this.#prog.groups - 1
  }

  /**
   * RE2::GlobalReplace: every non-overlapping match is replaced by `rewrite`,
   * where `\0`…`\9` are groups and `\\` a backslash (re2/re2.cc GlobalReplace
   * and Rewrite). An empty match right after the previous match is skipped.
   * A rewrite naming a group the pattern lacks replaces nothing, as in RE2.
   */
  replaceAll(s: string, rewrite: string): string {
    let maxGroup = 0
    for (const m of rewrite.matchAll(/\\(\d)/g)) maxGroup = Math.max(maxGroup, Number(m[1]))
    if (maxGroup > this.groups) return s
    // Most paths do not match at all: the DFA says so without the Pike VM's bookkeeping.
    if (!this.#prog.contextual && !(this.#searchDfa ??= new (regexEngine().LazyDfa)(this.#prog, true)).matches(s)) return s
    let out = ''
    let p = 0
    let lastEnd = -1
    let count = 0
    while (p <= s.length) {
      const m = this.exec(s, p)
      if (m === undefined) break
      const [start, end] = m as [number, number]
      out += s.slice(p, start)
      if (start === lastEnd && start === end) {
        // Disallow an empty match where the previous match ended: copy one code point and go on.
        if (p < s.length) {
          const w = s.codePointAt(p)! > 0xffff ? 2 : 1
          out += s.slice(p, p + w)
          p += w
        } else p++
        continue
      }
      out += expand(rewrite, s, m)
      p = end
      lastEnd = end
      count++
    }
    if (count === 0) return s
    return p < s.length ? out + s.slice(p) : out
  }

  /** BitState for small searches (no per-step bookkeeping), the Pike VM beyond its bitmap. */
  #submatch(s: string, from: number, anchored: boolean, full: boolean): number[] | undefined {
    const bits = (this.#bits ??= new (regexEngine().BitState)(this.#prog))
    if (bits.fits(s, from)) return bits.run(s, from, anchored, full)
    return (this.#vm ??= new (regexEngine().PikeVM)(this.#prog)).run(s, from, anchored, full)
  }
}

/** RE2::Rewrite: an invalid escape ends the rewrite there (RE2 logs and returns false; GlobalReplace keeps what was written). */
function expand(rewrite: string, s: string, m: readonly number[]): string {
  let out = ''
  for (let i = 0; i < rewrite.length; i++) {
    const c = rewrite[i]!
    if (c !== '\\') {
      out += c
      continue
    }
    const d = rewrite[++i]
    if (d !== undefined && d >= '0' && d <= '9') {
      const g = Number(d)
      if (m[2 * g]! >= 0) out += s.slice(m[2 * g], m[2 * g + 1])
    } else if (d === '\\') out += '\\'
    else break
  }
  return out
}
