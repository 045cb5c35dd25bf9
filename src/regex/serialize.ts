/**
 * A compiled RE2 program as JSON and back: the control plane compiles each
 * configured regex once (src/config/re2) and the serialized snapshot carries
 * the program, so a data plane runs it without the RE2 parser.
 */
import type { CharClass, Program } from './program.js'

/** One character class: its ASCII table as 32 hex digits, ranges flat, a `\p{..}` property as RegExp source and flags. */
export interface CharClassJson {
  readonly ascii: string
  readonly ranges: readonly number[]
  readonly prop?: { readonly source: string; readonly flags: string }
  readonly negated?: true
}

/**
 * `op`, `x`, `y` and `asciiClass` are packed (packInts): a 10,000-route
 * snapshot carries a thousand programs, and as JSON arrays they were most of
 * its text and of the objects parsing it made. A loaded snapshot unpacks a
 * program when its regex first runs (src/snapshot/regex.ts).
 */
export interface ProgramJson {
  readonly op: string
  readonly x: string
  readonly y: string
  readonly classes: readonly CharClassJson[]
  readonly groups: number
  readonly anchoredStart?: true
  readonly contextual?: true
  readonly asciiClass: string
  readonly asciiClasses: number
}

/** Integers in base 36, joined by ",". */
export const packInts = (xs: ArrayLike<number>): string => Array.from(xs, (v) => v.toString(36)).join(',')

/** packInts' text → a typed array of `make`'s kind. */
function unpackInts<T extends Uint8Array | Int32Array>(s: string, make: new (n: number) => T): T {
  if (s === '') return new make(0)
  let n = 1
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 44 /* , */) n++
  const out = new make(n)
  let k = 0, v = 0, negative = false
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 44
    if (c === 44) {
      out[k++] = negative ? -v : v
      v = 0
      negative = false
    } else if (c === 45 /* - */) negative = true
    // 0-9 → 0-9, a-z → 10-35 (toString(36) writes lowercase).
    else v = v * 36 + (c <= 57 ? c - 48 : c - 87)
  }
  return out
}

const bitsToHex = (bits: Uint8Array): string => {
  let out = ''
  for (let i = 0; i < bits.length; i += 4) out += ((bits[i]! << 3) | (bits[i + 1]! << 2) | (bits[i + 2]! << 1) | bits[i + 3]!).toString(16)
  return out
}

const hexToBits = (hex: string): Uint8Array => {
  const bits = new Uint8Array(hex.length * 4)
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i)
    // 0-9 → 0-9, a-f → 10-15 (bitsToHex writes lowercase).
    const n = c <= 57 ? c - 48 : (c | 32) - 87
    bits[4 * i] = (n >> 3) & 1
    bits[4 * i + 1] = (n >> 2) & 1
    bits[4 * i + 2] = (n >> 1) & 1
    bits[4 * i + 3] = n & 1
  }
  return bits
}

export function programToJson(p: Program): ProgramJson {
  return {
    op: packInts(p.op),
    x: packInts(p.x),
    y: packInts(p.y),
    classes: p.classes.map((c) => ({
      ascii: bitsToHex(c.ascii),
      ranges: [...c.ranges],
      ...(c.prop ? { prop: { source: c.prop.source, flags: c.prop.flags } } : {}),
      ...(c.negated ? { negated: true as const } : {}),
    })),
    groups: p.groups,
    ...(p.anchoredStart ? { anchoredStart: true as const } : {}),
    ...(p.contextual ? { contextual: true as const } : {}),
    asciiClass: packInts(p.asciiClass),
    asciiClasses: p.asciiClasses,
  }
}

export function programFromJson(j: ProgramJson): Program {
  return {
    op: unpackInts(j.op, Uint8Array),
    x: unpackInts(j.x, Int32Array),
    y: unpackInts(j.y, Int32Array),
    classes: j.classes.map(
      (c): CharClass => ({ ascii: hexToBits(c.ascii), ranges: new Int32Array(c.ranges), prop: c.prop ? new RegExp(c.prop.source, c.prop.flags) : undefined, negated: c.negated === true }),
    ),
    groups: j.groups,
    anchoredStart: j.anchoredStart === true,
    contextual: j.contextual === true,
    asciiClass: unpackInts(j.asciiClass, Uint8Array),
    asciiClasses: j.asciiClasses,
  }
}
