/**
 * The Pike VM (RE2's re2/nfa.cc): every thread advances one code point at a
 * time in priority order, at most one thread per instruction, so a match costs
 * O(text × program) however the pattern nests. Threads carry capture slots;
 * the first thread to reach MATCH wins and cuts off the threads it outranks,
 * which gives RE2's (and Perl's) leftmost-first submatches.
 */
import { ASSERT, A_BEGIN_LINE, A_BEGIN_TEXT, A_END_LINE, A_END_TEXT, A_WORD, CHAR, JMP, SAVE, SPLIT, classHas, type Program } from './program.js'

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

/** Runnable threads at one position: an instruction appears at most once. */
class Threads {
  readonly pcs: Int32Array
  readonly caps: number[][]
  size = 0
  private readonly seen: Uint32Array
  private gen = 1

  constructor(n: number) {
    this.pcs = new Int32Array(n)
    this.caps = new Array<number[]>(n)
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

const EMPTY: number[] = []

export class PikeVM {
  private readonly clist: Threads
  private readonly nlist: Threads
  private readonly stackPc: Int32Array
  private readonly stackCaps: number[][]

  constructor(private readonly prog: Program) {
    const n = prog.op.length
    this.clist = new Threads(n)
    this.nlist = new Threads(n)
    this.stackPc = new Int32Array(n + 1)
    this.stackCaps = new Array<number[]>(n + 1)
  }

  /**
   * The leftmost-first match at or after `from`: capture slots (start, end
   * per group, -1 when unset), or undefined. `anchored` requires it to start
   * at `from`, `full` to end at the end of `s`; `slots` 0 asks for a yes/no.
   */
  run(s: string, from: number, anchored: boolean, full: boolean, slots: number): number[] | undefined {
    const { op, x, classes } = this.prog
    let clist = this.clist
    let nlist = this.nlist
    clist.clear()
    nlist.clear()
    let matched: number[] | undefined
    // Shared by every new thread: SAVE copies before it writes.
    const unset = slots === 0 ? EMPTY : new Array<number>(slots).fill(-1)
    for (let pos = from; ; ) {
      if (matched === undefined && (!anchored || pos === from)) this.add(clist, 0, s, pos, unset)
      if (clist.size === 0) break
      const c = pos < s.length ? s.codePointAt(pos)! : -1
      const next = pos + (c > 0xffff ? 2 : 1)
      for (let i = 0; i < clist.size; i++) {
        const pc = clist.pcs[i]!
        if (op[pc] === CHAR) {
          if (c >= 0 && classHas(classes[x[pc]!]!, c)) this.add(nlist, pc + 1, s, next, clist.caps[i]!)
        } else if (!full || pos === s.length) {
          // MATCH: lower-priority threads (the rest of clist) are cut off.
          matched = clist.caps[i]!
          if (slots === 0) return matched
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
    return matched
  }

  /** Follow empty-width instructions from `pc` in priority order; CHAR and MATCH threads are queued. */
  private add(q: Threads, pc0: number, s: string, pos: number, caps0: number[]): void {
    const { op, x, y } = this.prog
    const stackPc = this.stackPc
    const stackCaps = this.stackCaps
    let sp = 0
    stackPc[sp] = pc0
    stackCaps[sp++] = caps0
    while (sp > 0) {
      let pc = stackPc[--sp]!
      let caps = stackCaps[sp]!
      for (;;) {
        if (!q.visit(pc)) break
        const o = op[pc]
        if (o === JMP) pc = x[pc]!
        else if (o === SPLIT) {
          stackPc[sp] = y[pc]!
          stackCaps[sp++] = caps
          pc = x[pc]!
        } else if (o === SAVE) {
          if (x[pc]! < caps.length) {
            caps = caps.slice()
            caps[x[pc]!] = pos
          }
          pc++
        } else if (o === ASSERT) {
          if (!assertHolds(x[pc]!, s, pos)) break
          pc++
        } else {
          q.pcs[q.size] = pc
          q.caps[q.size++] = caps
          break
        }
      }
    }
  }
}
