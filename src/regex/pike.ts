/**
 * The Pike VM (RE2's re2/nfa.cc): every thread advances one code point at a
 * time in priority order, at most one thread per instruction, so a match costs
 * O(text × program) however the pattern nests. Threads carry capture slots;
 * the first thread to reach MATCH wins and cuts off the threads it outranks,
 * which gives RE2's (and Perl's) leftmost-first submatches.
 */
import { ASSERTION, OP, classHas as has, type Program } from './program.js'

const { ASSERT, CHAR, JMP, LIT, SAVE, SPLIT } = OP
const { A_BEGIN_LINE, A_BEGIN_TEXT, A_END_LINE, A_END_TEXT, A_WORD } = ASSERTION
const classHas = has

const isWord = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f

export function assertHolds(kind: number, s: string, pos: number): boolean {
  switch (kind) {
    case A_BEGIN_TEXT:
      return pos === 0
    case A_END_TEXT:
      return pos === s.length
    case A_BEGIN_LINE:
      return pos === 0 || s.charCodeAt(pos - 1) === 10
    case A_END_LINE:
      return pos === s.length || s.charCodeAt(pos) === 10
    default: {
      const boundary = (pos > 0 && isWord(s.charCodeAt(pos - 1))) !== (pos < s.length && isWord(s.charCodeAt(pos)))
      return boundary === (kind === A_WORD)
    }
  }
}

/** Runnable threads at one position: an instruction appears at most once; captures sit in one flat array. */
class Threads {
  readonly pcs: Int32Array
  readonly caps: Int32Array
  size = 0
  private readonly seen: Uint32Array
  private gen = 1

  constructor(n: number, slots: number) {
    this.pcs = new Int32Array(n)
    this.caps = new Int32Array(n * slots)
    this.seen = new Uint32Array(n)
  }

  clear(): void {
    this.size = 0
    this.gen++
  }

  /** First visit of `pc` at this position. */
  visit(pc: number): boolean {
    if (this.seen[pc] === this.gen) return false
    this.seen[pc] = this.gen
    return true
  }
}

/**
 * No allocation per step: threads copy their slots into the queue's flat
 * array, and the closure works on one scratch array, undoing each SAVE when it
 * backs out of a branch (as RE2's AddToThreadq does).
 */
export class PikeVM {
  private readonly slots: number
  private readonly clist: Threads
  private readonly nlist: Threads
  /** Closure stack: pc to explore, or -1 - slot to restore `stackOld` into. */
  private readonly stack: Int32Array
  private readonly stackOld: Int32Array
  private readonly scratch: Int32Array
  private readonly unset: Int32Array
  private readonly matched: Int32Array

  constructor(private readonly prog: Program) {
    const n = prog.op.length
    this.slots = 2 * prog.groups
    this.clist = new Threads(n, this.slots)
    this.nlist = new Threads(n, this.slots)
    this.stack = new Int32Array(2 * n + 1)
    this.stackOld = new Int32Array(2 * n + 1)
    this.scratch = new Int32Array(this.slots)
    this.unset = new Int32Array(this.slots).fill(-1)
    this.matched = new Int32Array(this.slots)
  }

  /**
   * The leftmost-first match at or after `from`: capture slots (start, end
   * per group, -1 when unset), or undefined. `anchored` requires it to start
   * at `from`, `full` to end at the end of `s`.
   */
  run(s: string, from: number, anchored: boolean, full: boolean): number[] | undefined {
    const { op, x, classes } = this.prog
    if (this.prog.anchoredStart) {
      if (from > 0) return undefined
      anchored = true
    }
    const slots = this.slots
    let clist = this.clist
    let nlist = this.nlist
    clist.clear()
    nlist.clear()
    let found = false
    for (let pos = from; ; ) {
      if (!found && (!anchored || pos === from)) this.add(clist, 0, s, pos, this.unset, 0)
      if (clist.size === 0) break
      const c = pos < s.length ? s.codePointAt(pos)! : -1
      const next = pos + (c > 0xffff ? 2 : 1)
      for (let i = 0; i < clist.size; i++) {
        const pc = clist.pcs[i]!
        const o = op[pc]
        if (o === LIT || o === CHAR) {
          if (c >= 0 && (o === LIT ? c === x[pc] : classHas(classes[x[pc]!]!, c))) this.add(nlist, pc + 1, s, next, clist.caps, i * slots)
        } else if (!full || pos === s.length) {
          // MATCH: lower-priority threads (the rest of clist) are cut off.
          for (let k = 0; k < slots; k++) this.matched[k] = clist.caps[i * slots + k]!
          found = true
          break
        }
      }
      if (c < 0) break
      const t = clist
      clist = nlist
      nlist = t
      nlist.clear()
      pos = next
    }
    return found ? Array.from(this.matched) : undefined
  }

  /** Follow empty-width instructions from `pc0` in priority order; CHAR and MATCH threads are queued with their slots. */
  private add(q: Threads, pc0: number, s: string, pos: number, src: Int32Array, off: number): void {
    const { op, x, y } = this.prog
    const { stack, stackOld, scratch: cur, slots } = this
    for (let k = 0; k < slots; k++) cur[k] = src[off + k]!
    let sp = 0
    stack[sp++] = pc0
    while (sp > 0) {
      let pc = stack[--sp]!
      if (pc < 0) {
        cur[-1 - pc] = stackOld[sp]!
        continue
      }
      for (;;) {
        if (!q.visit(pc)) break
        const o = op[pc]
        if (o === JMP) pc = x[pc]!
        else if (o === SPLIT) {
          stack[sp++] = y[pc]!
          pc = x[pc]!
        } else if (o === SAVE) {
          const slot = x[pc]!
          stack[sp] = -1 - slot
          stackOld[sp++] = cur[slot]!
          cur[slot] = pos
          pc++
        } else if (o === ASSERT) {
          if (!assertHolds(x[pc]!, s, pos)) break
          pc++
        } else {
          const at = q.size * slots
          for (let k = 0; k < slots; k++) q.caps[at + k] = cur[k]!
          q.pcs[q.size++] = pc
          break
        }
      }
    }
  }
}
