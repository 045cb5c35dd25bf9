/**
 * A lazily built DFA for yes/no matches (RE2's re2/dfa.cc, reduced): a state
 * is the set of program threads alive after some input, and each transition
 * is computed once, on first use, then read from a flat table — one typed
 * array load per ASCII code point. Building a state costs O(program), so even
 * input that forces a new state at every step stays linear; the cache is
 * bounded and starts over when full, as RE2's does.
 *
 * Only for programs whose assertions are start/end of text (`^` `$` `\A` `\z`):
 * `\b` and `(?m)` anchors depend on neighbouring characters and run on the Pike VM.
 */
import { ASSERTION, OP, classHas as has, type Program } from './program.js'

const { ASSERT, CHAR, JMP, LIT, MATCH, SAVE, SPLIT } = OP
const { A_BEGIN_TEXT } = ASSERTION
const classHas = has

/** States kept per regex before the cache starts over. */
const MAX_STATES = 256
/** State 0: no thread left, the text cannot match any more. */
const DEAD = 0
/** State 1: the start, kept apart because `^` holds there and nowhere else. */
const START = 1
const UNKNOWN = -1

export class LazyDfa {
  /** Sorted CHAR / MATCH / pending end-of-text ASSERT instructions of each state. */
  private pcs: Int32Array[] = []
  private ids = new Map<string, number>()
  /** [state × ASCII class] → next state, UNKNOWN until computed. */
  private trans: Int32Array
  private other: (Map<number, number> | undefined)[] = []
  /** Per state: 1 holds a MATCH; 2 accepts at end of text; 4 end-of-text acceptance computed. */
  private flags: Uint8Array
  private readonly width: number
  private readonly stack: Int32Array
  private readonly seen: Uint32Array
  private gen = 0
  private epoch = 0

  /** `search`: is there a match anywhere in the text (RE2::PartialMatch), rather than a full match? */
  constructor(private readonly prog: Program, private readonly search = false) {
    this.width = prog.asciiClasses
    this.stack = new Int32Array(prog.op.length + 1)
    this.seen = new Uint32Array(prog.op.length)
    this.trans = new Int32Array(16 * this.width)
    this.flags = new Uint8Array(16)
    this.reset()
  }

  matches(s: string): boolean {
    const cls = this.prog.asciiClass
    const width = this.width
    const search = this.search
    let st = START
    for (let i = 0; i < s.length; ) {
      if (search && (this.flags[st]! & 1) !== 0) return true
      const c = s.charCodeAt(i)
      let nx: number
      if (c < 128) {
        const at = st * width + cls[c]!
        nx = this.trans[at]!
        if (nx === UNKNOWN) {
          const epoch = this.epoch
          nx = this.step(st, c)
          // After a reset the numbering changed: `at` no longer names this transition.
          if (epoch === this.epoch) this.trans[at] = nx
        }
        i++
      } else {
        const cp = s.codePointAt(i)!
        i += cp > 0xffff ? 2 : 1
        nx = this.other[st]?.get(cp) ?? UNKNOWN
        if (nx === UNKNOWN) {
          const epoch = this.epoch
          nx = this.step(st, cp)
          if (epoch === this.epoch) (this.other[st] ??= new Map()).set(cp, nx)
        }
      }
      st = nx
      if (st === DEAD) return false
    }
    return this.acceptsAtEnd(st)
  }

  /** Forget every state but DEAD and START. */
  private reset(): void {
    this.epoch++
    this.pcs = []
    this.ids = new Map()
    this.other = []
    this.trans.fill(UNKNOWN)
    this.flags.fill(0)
    this.add([], '')
    this.add(this.closure([0], true, false), '')
    this.trans.fill(DEAD, DEAD * this.width, (DEAD + 1) * this.width)
  }

  private step(st: number, c: number): number {
    const { op, x, classes } = this.prog
    const targets: number[] = []
    for (const pc of this.pcs[st]!) {
      const o = op[pc]
      if (o === LIT ? c === x[pc] : o === CHAR && classHas(classes[x[pc]!]!, c)) targets.push(pc + 1)
    }
    // Searching: a match may also start after this character.
    if (this.search) targets.push(0)
    const pcs = this.closure(targets, false, false)
    if (pcs.length === 0) return DEAD
    const key = pcs.join(',')
    const id = this.ids.get(key)
    if (id !== undefined) return id
    if (this.pcs.length >= MAX_STATES) this.reset()
    return this.add(pcs, key)
  }

  private add(pcs: readonly number[], key: string): number {
    const id = this.pcs.length
    this.pcs.push(Int32Array.from(pcs))
    if (key) this.ids.set(key, id)
    if ((id + 1) * this.width > this.trans.length) {
      const grown = new Int32Array(this.trans.length * 2).fill(UNKNOWN)
      grown.set(this.trans)
      this.trans = grown
      const flags = new Uint8Array(this.flags.length * 2)
      flags.set(this.flags)
      this.flags = flags
    }
    this.flags[id] = this.hasMatch(this.pcs[id]!) ? 1 : 0
    return id
  }

  private hasMatch(pcs: Int32Array): boolean {
    for (const pc of pcs) if (this.prog.op[pc] === MATCH) return true
    return false
  }

  /** Text ends here: let the pending end-of-text assertions pass and look for MATCH. */
  private acceptsAtEnd(st: number): boolean {
    const f = this.flags[st]!
    if ((f & 4) !== 0) return (f & 2) !== 0
    const { op } = this.prog
    const pcs = this.pcs[st]!
    let ok = (f & 1) !== 0
    if (!ok) {
      const pending: number[] = []
      for (const pc of pcs) if (op[pc] === ASSERT) pending.push(pc + 1)
      ok = this.closure(pending, st === START, true).some((pc) => op[pc] === MATCH)
    }
    this.flags[st] = f | 4 | (ok ? 2 : 0)
    return ok
  }

  /** Instructions reachable from `pcs` without consuming input, sorted. */
  private closure(pcs: readonly number[], atStart: boolean, atEnd: boolean): number[] {
    const { op, x, y } = this.prog
    const stack = this.stack
    const seen = this.seen
    const gen = ++this.gen
    const out: number[] = []
    let sp = 0
    const push = (to: number): void => {
      // Each pc is pushed at most once, so the stack never outgrows the program.
      if (seen[to] !== gen) {
        seen[to] = gen
        stack[sp++] = to
      }
    }
    for (const pc of pcs) push(pc)
    while (sp > 0) {
      const pc = stack[--sp]!
      const o = op[pc]
      if (o === JMP) push(x[pc]!)
      else if (o === SPLIT) {
        push(x[pc]!)
        push(y[pc]!)
      } else if (o === SAVE) push(pc + 1)
      else if (o === ASSERT) {
        if (x[pc] === A_BEGIN_TEXT) {
          if (atStart) push(pc + 1)
        } else if (atEnd) push(pc + 1)
        else out.push(pc)
      } else out.push(pc)
    }
    return out.sort((a, b) => a - b)
  }
}
