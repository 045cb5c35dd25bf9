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

export interface ProgramJson {
  readonly op: readonly number[]
  readonly x: readonly number[]
  readonly y: readonly number[]
  readonly classes: readonly CharClassJson[]
  readonly groups: number
  readonly anchoredStart?: true
  readonly contextual?: true
  readonly asciiClass: readonly number[]
  readonly asciiClasses: number
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
    op: [...p.op],
    x: [...p.x],
    y: [...p.y],
    classes: p.classes.map((c) => ({
      ascii: bitsToHex(c.ascii),
      ranges: [...c.ranges],
      ...(c.prop ? { prop: { source: c.prop.source, flags: c.prop.flags } } : {}),
      ...(c.negated ? { negated: true as const } : {}),
    })),
    groups: p.groups,
    ...(p.anchoredStart ? { anchoredStart: true as const } : {}),
    ...(p.contextual ? { contextual: true as const } : {}),
    asciiClass: [...p.asciiClass],
    asciiClasses: p.asciiClasses,
  }
}

/** `new Uint8Array(array)` copies without the iterator protocol `Uint8Array.from` goes through: a snapshot rebuilds thousands of these. */
export function programFromJson(j: ProgramJson): Program {
  return {
    op: new Uint8Array(j.op),
    x: new Int32Array(j.x),
    y: new Int32Array(j.y),
    classes: j.classes.map(
      (c): CharClass => ({ ascii: hexToBits(c.ascii), ranges: new Int32Array(c.ranges), prop: c.prop ? new RegExp(c.prop.source, c.prop.flags) : undefined, negated: c.negated === true }),
    ),
    groups: j.groups,
    anchoredStart: j.anchoredStart === true,
    contextual: j.contextual === true,
    asciiClass: new Uint8Array(j.asciiClass),
    asciiClasses: j.asciiClasses,
  }
}
