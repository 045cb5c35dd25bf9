/**
 * The instruction set of edgevoy's RE2 engine: a Thompson/Pike program as in
 * RE2 (re2/prog.h) and Russ Cox, "Regular Expression Matching: the Virtual
 * Machine Approach" (https://swtch.com/~rsc/regexp/regexp2.html). A program
 * is run by simulating every thread in lock step, so matching costs
 * O(text × program) whatever the pattern: no backtracking exists to explode.
 */

/** Consume one code point in `classes[x]`, then go to pc+1. */
export const CHAR = 0
/** Fork: continue at `x` (preferred) and at `y`. */
export const SPLIT = 1
/** Go to `x`. */
export const JMP = 2
/** Record the position in capture slot `x`, then go to pc+1. */
export const SAVE = 3
/** Go to pc+1 if the empty-width assertion `x` (one of the A_* below) holds here. */
export const ASSERT = 4
/** The pattern matched. */
export const MATCH = 5
/** Consume the code point `x` (a literal without case folding: no class needed), then go to pc+1. */
export const LIT = 6

/** `^` without (?m), `\A`. */
export const A_BEGIN_TEXT = 0
/** `$` without (?m), `\z`. */
export const A_END_TEXT = 1
/** `(?m)^`: at the start or after `\n`. */
export const A_BEGIN_LINE = 2
/** `(?m)$`: at the end or before `\n`. */
export const A_END_LINE = 3
/** `\b`: RE2's word boundary is ASCII-only. */
export const A_WORD = 4
/** `\B`. */
export const A_NOT_WORD = 5

/** A set of code points: sorted inclusive ranges, plus Unicode properties checked one code point at a time. */
export interface CharClass {
  /** Membership of each ASCII code point, negation and properties included. */
  readonly ascii: Uint8Array
  /** Sorted, disjoint [lo, hi] pairs (before negation). */
  readonly ranges: Int32Array
  /** `\p{..}` as a one-code-point JS RegExp (a single character: no backtracking possible). */
  readonly prop: RegExp | undefined
  readonly negated: boolean
}

export interface Program {
  readonly op: Uint8Array
  readonly x: Int32Array
  readonly y: Int32Array
  readonly classes: readonly CharClass[]
  /** Capture groups, group 0 (the whole match) included. */
  readonly groups: number
  /** Every match starts at the start of the text (the pattern begins with `^` or `\A`). */
  readonly anchoredStart: boolean
  /** Any assertion other than start/end of text: the lazy DFA cannot run it. */
  readonly contextual: boolean
  /** ASCII code point → equivalence class (code points no CharClass tells apart share one). */
  readonly asciiClass: Uint8Array
  readonly asciiClasses: number
}

export function classHas(c: CharClass, cp: number): boolean {
  if (cp < 128) return c.ascii[cp] === 1
  const r = c.ranges
  let lo = 0
  let hi = (r.length >> 1) - 1
  let found = false
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (cp < r[2 * mid]!) hi = mid - 1
    else if (cp > r[2 * mid + 1]!) lo = mid + 1
    else {
      found = true
      break
    }
  }
  if (!found && c.prop !== undefined) found = c.prop.test(String.fromCodePoint(cp))
  return found !== c.negated
}

/** Build a class from sorted, disjoint ranges; the ASCII table is filled once here. */
export function charClass(ranges: readonly (readonly [number, number])[], props: readonly string[], negated: boolean, fold: boolean): CharClass {
  const flat = new Int32Array(ranges.length * 2)
  const ascii = new Uint8Array(128)
  for (let k = 0; k < ranges.length; k++) {
    const [lo, hi] = ranges[k]!
    flat[2 * k] = lo
    flat[2 * k + 1] = hi
    if (lo < 128) ascii.fill(1, lo, Math.min(hi, 127) + 1)
  }
  const prop = props.length > 0 ? new RegExp(`^[${props.join('')}]$`, fold ? 'iu' : 'u') : undefined
  if (prop) for (let cp = 0; cp < 128; cp++) if (prop.test(String.fromCharCode(cp))) ascii[cp] = 1
  if (negated) for (let cp = 0; cp < 128; cp++) ascii[cp] = ascii[cp]! ^ 1
  return { ascii, ranges: flat, prop, negated }
}

/**
 * Group ASCII code points that every class treats alike (RE2's byte classes),
 * so DFA states need few slots: each class splits the groups it cuts.
 */
export function asciiEquivalence(classes: readonly CharClass[], literals: readonly number[] = []): { asciiClass: Uint8Array; asciiClasses: number } {
  let ids = new Uint8Array(128)
  // `\n` starts in its own group: (?m) anchors and `.` look at it.
  ids[10] = 1
  let count = 2
  const split = new Int16Array(512)
  for (const c of classes) {
    split.fill(-1, 0, 2 * count)
    let n = 0
    const next = new Uint8Array(128)
    for (let cp = 0; cp < 128; cp++) {
      const key = ids[cp]! * 2 + c.ascii[cp]!
      if (split[key] === -1) split[key] = n++
      next[cp] = split[key]!
    }
    ids = next
    count = n
  }
  // A literal ASCII code point is a class of its own.
  for (const cp of new Set(literals)) {
    if (cp >= 128) continue
    const was = ids[cp]!
    let alone = true
    for (let k = 0; k < 128 && alone; k++) if (k !== cp && ids[k] === was) alone = false
    if (!alone) ids[cp] = count++
  }
  return { asciiClass: ids, asciiClasses: count }
}

/** The opcodes as one object: hot loops copy them into module-level consts (cheaper than live-binding imports under dev transforms). */
export const OP = { CHAR, SPLIT, JMP, SAVE, ASSERT, MATCH, LIT } as const
export const ASSERTION = { A_BEGIN_TEXT, A_END_TEXT, A_BEGIN_LINE, A_END_LINE, A_WORD, A_NOT_WORD } as const
