/**
 * Parse tree → program for edgevoy's linear-time engine (src/regex/),
 * compiled as RE2 does (re2/compile.cc): alternation and `*` `+` `?` become
 * prioritized SPLITs (leftmost-first, as RE2's default), counted repetition
 * is unrolled (the parser already bounds the unrolled size at 1000 copies),
 * and `(?i)` is expanded into case-folded classes, so the program has no flags.
 */

import { asciiEquivalence, charClass, ASSERT, A_BEGIN_LINE, A_BEGIN_TEXT, A_END_LINE, A_END_TEXT, A_NOT_WORD, A_WORD, CHAR, JMP, LIT, MATCH, SAVE, SPLIT, type CharClass, type Program } from '../../regex/program.js'
import { normalize } from './charsets.js'
import { foldOrbits, foldRanges } from './fold.js'
import type { Assert, Group, Node } from './tree.js'

const ASSERTS: Record<Assert['which'], (multiline: boolean) => number> = {
  '^': (m) => (m ? A_BEGIN_LINE : A_BEGIN_TEXT),
  '$': (m) => (m ? A_END_LINE : A_END_TEXT),
  A: () => A_BEGIN_TEXT,
  z: () => A_END_TEXT,
  b: () => A_WORD,
  B: () => A_NOT_WORD,
}

class Builder {
  readonly op: number[] = []
  readonly x: number[] = []
  readonly y: number[] = []
  readonly classes: CharClass[] = []
  readonly literals: number[] = []
  private readonly classIds = new Map<Node, number>()
  private readonly classKeys = new Map<string, number>()
  readonly groupIds = new Map<Group, number>()
  contextual = false

  emit(op: number, x = 0, y = 0): number {
    this.op.push(op)
    this.x.push(x)
    this.y.push(y)
    return this.op.length - 1
  }

  alts(alts: readonly Node[][]): void {
    const jumps: number[] = []
    for (let k = 0; k < alts.length; k++) {
      if (k === alts.length - 1) {
        this.seq(alts[k]!)
        break
      }
      const split = this.emit(SPLIT, this.op.length + 1)
      this.seq(alts[k]!)
      jumps.push(this.emit(JMP))
      this.y[split] = this.op.length
    }
    for (const j of jumps) this.x[j] = this.op.length
  }

  seq(nodes: readonly Node[]): void {
    for (const n of nodes) this.node(n)
  }

  node(n: Node): void {
    switch (n.kind) {
      case 'lit':
        if (!n.fold || !foldOrbits().has(n.cp)) {
          this.emit(LIT, n.cp)
          this.literals.push(n.cp)
          return
        }
        this.emit(CHAR, this.classOf(n))
        return
      case 'class':
      case 'dot':
        this.emit(CHAR, this.classOf(n))
        return
      case 'assert': {
        const a = ASSERTS[n.which](n.multiline)
        if (a !== A_BEGIN_TEXT && a !== A_END_TEXT) this.contextual = true
        this.emit(ASSERT, a)
        return
      }
      case 'group': {
        const id = this.groupIds.get(n)
        if (id !== undefined) this.emit(SAVE, 2 * id)
        this.alts(n.alts)
        if (id !== undefined) this.emit(SAVE, 2 * id + 1)
        return
      }
      case 'repeat': {
        for (let k = 0; k < n.min; k++) this.node(n.sub)
        if (n.max === -1) {
          // x{n,} = x…x x*: a loop that prefers another round when greedy.
          const split = this.emit(SPLIT)
          this.node(n.sub)
          this.emit(JMP, split)
          this.prefer(split, split + 1, this.op.length, n.greedy)
          return
        }
        // x{n,m} = x…x (x(x(x)?)?)?: each optional copy nests in the previous one.
        const splits: number[] = []
        for (let k = n.min; k < n.max; k++) {
          splits.push(this.emit(SPLIT))
          this.node(n.sub)
        }
        for (const s of splits) this.prefer(s, s + 1, this.op.length, n.greedy)
      }
    }
  }

  private prefer(split: number, body: number, out: number, greedy: boolean): void {
    this.x[split] = greedy ? body : out
    this.y[split] = greedy ? out : body
  }

  /** One CharClass per distinct set, shared by equal literals and by the copies counted repetition makes. */
  private classOf(n: Node): number {
    let id = this.classIds.get(n)
    if (id !== undefined) return id
    const key =
      n.kind === 'lit' ? `l${n.fold ? 'i' : ''}${n.cp}`
      : n.kind === 'dot' ? `d${n.nl}`
      : n.kind === 'class' ? `c${n.negated}${n.fold}${n.props.join('')}:${n.ranges.join(';')}`
      : ''
    id = this.classKeys.get(key)
    if (id !== undefined) {
      this.classIds.set(n, id)
      return id
    }
    let cls: CharClass
    if (n.kind === 'lit') {
      const orbit = n.fold ? foldOrbits().get(n.cp) : undefined
      cls = charClass(normalize(orbit ? orbit.map((m) => [m, m] as const) : [[n.cp, n.cp]]), [], false, false)
    } else if (n.kind === 'dot') {
      cls = charClass(n.nl ? [[0, 0x10ffff]] : [[0, 9], [11, 0x10ffff]], [], false, false)
    } else if (n.kind === 'class') {
      const ranges = n.fold ? foldRanges(n.ranges) : normalize(n.ranges)
      cls = charClass(ranges, n.props, n.negated, n.fold)
    } else throw new Error(`not a character node: ${n.kind}`)
    this.classes.push(cls)
    this.classIds.set(n, (id = this.classes.length - 1))
    this.classKeys.set(key, id)
    return id
  }
}

/** Number capture groups by their opening parenthesis, as RE2 and JS do. */
function numberGroups(alts: readonly Node[][], ids: Map<Group, number>): void {
  const walk = (n: Node): void => {
    if (n.kind === 'group') {
      if (n.capture) ids.set(n, ids.size + 1)
      n.alts.forEach((seq) => seq.forEach(walk))
    } else if (n.kind === 'repeat') walk(n.sub)
  }
  alts.forEach((seq) => seq.forEach(walk))
}

export function compileProgram(alts: readonly Node[][]): Program {
  const b = new Builder()
  numberGroups(alts, b.groupIds)
  b.emit(SAVE, 0)
  b.alts(alts)
  b.emit(SAVE, 1)
  b.emit(MATCH)
  return {
    anchoredStart: b.op[1] === ASSERT && b.x[1] === A_BEGIN_TEXT,
    op: Uint8Array.from(b.op),
    x: Int32Array.from(b.x),
    y: Int32Array.from(b.y),
    classes: b.classes,
    groups: b.groupIds.size + 1,
    contextual: b.contextual,
    ...asciiEquivalence(b.classes, b.literals),
  }
}
