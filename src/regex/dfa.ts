/**
 * A lazily built DFA for yes/no full matches (RE2's re2/dfa.cc, reduced): a
 * state is the set of program threads alive after some input, and each
 * transition is computed once, on first use, then read from a table — one
 * array load per ASCII code point. Building a state costs O(program), so even
 * input that forces a new state at every step stays linear; the cache is
 * bounded and simply starts over when full, as RE2's does.
 *
 * Only for programs whose assertions are start/end of text (`^` `$` `\A` `\z`):
 * `\b` and `(?m)` anchors depend on neighbouring characters and run on the Pike VM.
 */
import { ASSERT, A_BEGIN_TEXT, CHAR, JMP, MATCH, SAVE, SPLIT, classHas, type Program } from './program.js'

interface State {
  /** Sorted CHAR / MATCH / end-of-text ASSERT instructions. */
  readonly pcs: Int32Array
  /** By ASCII equivalence class. */
  readonly next: (State | undefined)[]
  other: Map<number, State> | undefined
  /** Does the text match if it ends here? -1 = not computed yet. */
  accept: number
  readonly atStart: boolean
  /** Holds a MATCH: in search mode, the text matches whatever follows. */
  readonly matched: boolean
}

/** States kept per regex before the cache starts over (each is a few hundred bytes). */
const MAX_STATES = 256

export class LazyDfa {
  private states = new Map<string, State>()
  private start!: State
  private readonly stack: Int32Array
  private readonly seen: Uint32Array
  private gen = 0

  /** `search`: is there a match anywhere in the text (RE2::PartialMatch), rather than a full match? */
  constructor(private readonly prog: Program, private readonly search = false) {
    this.stack = new Int32Array(prog.op.length + 1)
    this.seen = new Uint32Array(prog.op.length)
    this.start = this.make(this.closure([0], true, false), true)
  }

  matches(s: string): boolean {
    const cls = this.prog.asciiClass
    let st = this.start
    const search = this.search
    for (let i = 0; i < s.length; ) {
      if (search && st.matched) return true
      const c = s.charCodeAt(i)
      let nx: State | undefined
      if (c < 128) {
        const k = cls[c]!
        nx = st.next[k] ?? (st.next[k] = this.step(st, c))
        i++
      } else {
        const cp = s.codePointAt(i)!
        i += cp > 0xffff ? 2 : 1
        nx = st.other?.get(cp)
        if (nx === undefined) (st.other ??= new Map()).set(cp, (nx = this.step(st, cp)))
      }
      st = nx
      if (st.pcs.length === 0) return false
    }
    if (st.accept < 0) st.accept = this.acceptsAtEnd(st) ? 1 : 0
    return st.accept === 1
  }

  private step(st: State, c: number): State {
    const { op, x, classes } = this.prog
    const targets: number[] = []
    for (const pc of st.pcs) if (op[pc] === CHAR && classHas(classes[x[pc]!]!, c)) targets.push(pc + 1)
    // Searching: a match may also start after this character.
    if (this.search) targets.push(0)
    return this.make(this.closure(targets, false, false), false)
  }

  private make(pcs: number[], atStart: boolean): State {
    const { op } = this.prog
    const fresh = (): State => ({
      pcs: Int32Array.from(pcs), next: new Array(this.prog.asciiClasses), other: undefined, accept: -1, atStart,
      matched: pcs.some((pc) => op[pc] === MATCH),
    })
    // The start state is kept apart: `^` may pass in it and nowhere else.
    if (atStart) return fresh()
    const key = pcs.join(',')
    let st = this.states.get(key)
    if (st === undefined) {
      if (this.states.size >= MAX_STATES) {
        // Drop every cached state: only the start state links into the old graph.
        this.states = new Map()
        this.start.next.fill(undefined)
        this.start.other = undefined
      }
      st = fresh()
      this.states.set(key, st)
    }
    return st
  }

  /** Text ends here: let the pending end-of-text assertions pass and look for MATCH. */
  private acceptsAtEnd(st: State): boolean {
    const { op } = this.prog
    const pending: number[] = []
    for (const pc of st.pcs) {
      if (op[pc] === MATCH) return true
      if (op[pc] === ASSERT) pending.push(pc + 1)
    }
    return this.closure(pending, st.atStart, true).some((pc) => op[pc] === MATCH)
  }

  /** Instructions reachable from `pcs` without consuming input, sorted. */
  private closure(pcs: readonly number[], atStart: boolean, atEnd: boolean): number[] {
    const { op, x, y } = this.prog
    const stack = this.stack
    const seen = this.seen
    const gen = ++this.gen
    const out: number[] = []
    let sp = 0
    for (const pc of pcs) {
      // Each pc is pushed at most once, so the stack never outgrows the program.
      if (seen[pc] === gen) continue
      seen[pc] = gen
      stack[sp++] = pc
    }
    while (sp > 0) {
      const pc = stack[--sp]!
      const o = op[pc]
      const push = (to: number): void => {
        if (seen[to] !== gen) {
          seen[to] = gen
          stack[sp++] = to
        }
      }
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
