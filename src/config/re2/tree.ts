/**
 * The parse tree of an RE2 pattern, and the error every stage throws. Nodes
 * carry the flags in force where they were written (`fold`, `nl`,
 * `multiline`, `greedy`), so emission needs no flag state of its own.
 */

export type Range = readonly [number, number]
export interface Lit { kind: 'lit'; cp: number; fold: boolean }
export interface Cls { kind: 'class'; ranges: Range[]; props: string[]; negated: boolean; fold: boolean; at: number }
export interface Dot { kind: 'dot'; nl: boolean }
export interface Assert { kind: 'assert'; which: '^' | '$' | 'A' | 'z' | 'b' | 'B'; multiline: boolean }
export interface Group { kind: 'group'; capture: boolean; name?: string; alts: Node[][]; weight: number }
export interface Repeat { kind: 'repeat'; sub: Node; min: number; max: number; greedy: boolean; weight: number }
export type Node = Lit | Cls | Dot | Assert | Group | Repeat

export interface Flags { i: boolean; m: boolean; s: boolean; U: boolean }

export class Re2Error extends Error {
  constructor(message: string, readonly index: number, readonly syntax: boolean) {
    super(message)
  }
}

export const unsupported = (what: string, index: number, why = ''): Re2Error =>
  new Re2Error(`${what} is not supported by RE2, the regex engine of Envoy's safe_regex${why}`, index, false)
export const LINEAR = ' (RE2 guarantees linear-time matching)'

/** RE2's limit on counted repetition, also applied to the product of nested counts. */
export const MAX_REPEAT = 1000

export function weightOf(n: Node): number {
  return n.kind === 'group' || n.kind === 'repeat' ? n.weight : 1
}
