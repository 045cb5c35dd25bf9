/**
 * RE2's BitState (re2/bitstate.cc): a backtracker that never visits the same
 * (instruction, position) pair twice, so it is linear too — O(text ×
 * program) — but without the Pike VM's thread lists. Its visited bitmap is
 * text × program bits, so RE2 (and this) use it only for small searches; the
 * Pike VM takes the rest. Exploring in priority order, the first MATCH
 * reached is RE2's leftmost-first match.
 */
import { assertHolds } from './pike.js'
import { OP, classHas as has, type Program } from './program.js'

const { ASSERT, CHAR, JMP, LIT, SAVE, SPLIT } = OP
const classHas = has

/** RE2's limit: 256 Kbit of visited state (32 KiB). */
export const MAX_VISITED_BITS = 256 * 1024

export class BitState {
  /** Grown to the largest search seen so far (most paths need a few hundred bytes), at most 32 KiB. */
  private visited = new Uint32Array(0)
  private readonly cap: Int32Array
  /** Jobs: pc ≥ 0 with a position, or -1 - slot with the value to restore. */
  private jobs = new Int32Array(256)
  private njobs = 0
  private width = 0
  private from = 0

  constructor(private readonly prog: Program) {
    this.cap = new Int32Array(2 * prog.groups)
  }

  /** Whether a search of `s` from `from` fits the visited bitmap. */
  fits(s: string, from: number): boolean {
    return (s.length - from + 1) * this.prog.op.length <= MAX_VISITED_BITS
  }

  /** As PikeVM.run: the leftmost-first match at or after `from`, or undefined. Call only when `fits`. */
  run(s: string, from: number, anchored: boolean, full: boolean): number[] | undefined {
    // `^…` cannot match after the start: skip the search rather than fail at every position.
    if (this.prog.anchoredStart) {
      if (from > 0) return undefined
      anchored = true
    }
    this.width = s.length - from + 1
    this.from = from
    const words = Math.ceil((this.width * this.prog.op.length) / 32)
    if (words > this.visited.length) this.visited = new Uint32Array(Math.min(MAX_VISITED_BITS / 32, Math.max(words, 2 * this.visited.length)))
    else this.visited.fill(0, 0, words)
    for (let start = from; start <= s.length; ) {
      this.cap.fill(-1)
      if (this.try(s, start, full)) return Array.from(this.cap)
      if (anchored || start === s.length) break
      start += s.codePointAt(start)! > 0xffff ? 2 : 1
    }
    return undefined
  }

  private push(a: number, b: number): void {
    if (this.njobs + 2 > this.jobs.length) {
      const grown = new Int32Array(this.jobs.length * 2)
      grown.set(this.jobs)
      this.jobs = grown
    }
    this.jobs[this.njobs++] = a
    this.jobs[this.njobs++] = b
  }

  private try(s: string, p0: number, full: boolean): boolean {
    const { op, x, y, classes } = this.prog
    const { visited, cap, width, from } = this
    this.njobs = 0
    this.push(0, p0)
    while (this.njobs > 0) {
      const b = this.jobs[--this.njobs]!
      let pc = this.jobs[--this.njobs]!
      if (pc < 0) {
        cap[-1 - pc] = b
        continue
      }
      let p = b
      for (;;) {
        const bit = pc * width + (p - from)
        if ((visited[bit >>> 5]! & (1 << (bit & 31))) !== 0) break
        visited[bit >>> 5]! |= 1 << (bit & 31)
        const o = op[pc]
        if (o === LIT || o === CHAR) {
          if (p >= s.length) break
          const c = s.codePointAt(p)!
          if (o === LIT ? c !== x[pc] : !classHas(classes[x[pc]!]!, c)) break
          p += c > 0xffff ? 2 : 1
          pc++
        } else if (o === SPLIT) {
          this.push(y[pc]!, p)
          pc = x[pc]!
        } else if (o === JMP) pc = x[pc]!
        else if (o === SAVE) {
          this.push(-1 - x[pc]!, cap[x[pc]!]!)
          cap[x[pc]!] = p
          pc++
        } else if (o === ASSERT) {
          if (!assertHolds(x[pc]!, s, p)) break
          pc++
        } else {
          // MATCH
          if (full && p !== s.length) break
          return true
        }
      }
    }
    return false
  }
}
