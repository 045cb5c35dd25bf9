/** Case folding for `(?i)`: fold orbits, folded ranges, and whether the JS `i` flag can stand in. */

import { normalize } from './charsets.js'
import type { Cls, Lit, Node, Range } from './tree.js'

let orbits: Map<number, number[]> | undefined

/**
 * Where Unicode has case mappings (Unicode 15, 128-code-point blocks): the
 * only code points whose fold orbits are computed, so building the table
 * costs a few ms, not a scan of every code point.
 */
const CASED: readonly Range[] = [
  [0x0, 0x5ff], [0x1080, 0x10ff], [0x1380, 0x13ff], [0x1c80, 0x1fff], [0x2100, 0x21ff], [0x2480, 0x24ff],
  [0x2c00, 0x2d7f], [0xa600, 0xa7ff], [0xab00, 0xabff], [0xff00, 0xff7f], [0x10400, 0x105ff], [0x10c80, 0x10dff],
  [0x11880, 0x118ff], [0x16e00, 0x16eff], [0x1e900, 0x1e97f],
]

/**
 * Case-fold equivalence classes ("orbits"), built once on first partial `(?i)`.
 * Two code points are equivalent when lowercasing their uppercase gives the
 * same code point: ſ ~ s ~ S, K (Kelvin) ~ k. That equals Unicode simple case
 * folding (which RE2 and V8's `ui` use) except for Turkic dotless ı, excluded.
 */
export function foldOrbits(): Map<number, number[]> {
  if (orbits) return orbits
  const byKey = new Map<number, number[]>()
  const single = (t: string): boolean => t.length === 1 || (t.length === 2 && t.codePointAt(0)! > 0xffff)
  for (const [lo, hi] of CASED) {
    for (let cp = lo; cp <= hi; cp++) {
      const s = String.fromCodePoint(cp)
      const up = s.toUpperCase()
      const low = (single(up) ? up : s).toLowerCase()
      const key = single(low) ? low.codePointAt(0)! : cp
      if (key === cp || cp === 0x131) continue
      const members = byKey.get(key) ?? [key]
      members.push(cp)
      byKey.set(key, members)
    }
  }
  orbits = new Map()
  for (const members of byKey.values()) for (const m of members) orbits.set(m, members)
  return orbits
}

export function foldRanges(ranges: readonly Range[]): Range[] {
  const set = normalize(ranges)
  const extra: Range[] = []
  for (const [cp, members] of foldOrbits()) {
    if (set.some(([lo, hi]) => cp >= lo && cp <= hi)) for (const m of members) extra.push([m, m])
  }
  return normalize([...set, ...extra])
}

/** A node that matches the same strings with or without case folding. */
function caseless(n: Lit | Cls): boolean {
  if (n.kind === 'lit') return !foldOrbits().has(n.cp)
  if (n.props.length > 0) return false
  const before = normalize(n.ranges)
  const after = foldRanges(before)
  return after.length === before.length && after.every((r, k) => r[0] === before[k]![0] && r[1] === before[k]![1])
}

/**
 * Use the JS `i` flag when every atom that is case-sensitive in RE2 terms is
 * also caseless. Not with `\b`/`\B`: under `ui` V8 counts ſ and K (Kelvin) as
 * word characters, while RE2's word boundary is ASCII-only.
 */
export function canFoldGlobally(alts: Node[][], ignoreCase: boolean): boolean {
  const atoms: (Lit | Cls)[] = []
  let wordBoundary = false
  const walk = (n: Node): void => {
    if (n.kind === 'assert' && (n.which === 'b' || n.which === 'B')) wordBoundary = true
    else if (n.kind === 'lit' || n.kind === 'class') atoms.push(n)
    else if (n.kind === 'group') n.alts.flat().forEach(walk)
    else if (n.kind === 'repeat') walk(n.sub)
  }
  alts.flat().forEach(walk)
  const folded = atoms.filter((a) => a.fold)
  if (folded.length === 0) return ignoreCase && atoms.length === 0 && !wordBoundary
  if (folded.length < atoms.length && !atoms.every((a) => a.fold || caseless(a))) return false
  // Expanding instead keeps `\b` exact, but cannot fold `\p{..}`: then the flag wins.
  return !wordBoundary || folded.some((a) => a.kind === 'class' && a.props.length > 0)
}
