/** Writes JS RegExp source (for flag `u`) from the parse tree; every character is escaped on our terms. */

import { normalize } from './charsets.js'
import { foldOrbits, foldRanges } from './fold.js'
import { Re2Error, type Node, type Range } from './tree.js'

const SYNTAX = new Set('^$\\.*+?()[]{}|/')
const CLASS_SYNTAX = new Set('\\]^-[')

function plain(cp: number): string {
  const c = String.fromCodePoint(cp)
  if ((cp >= 0x20 && cp < 0x7f) || (cp > 0x7f && /[\p{L}\p{N}\p{P}\p{S}]/u.test(c))) return c
  return `\\u{${cp.toString(16)}}`
}
const litChar = (cp: number): string => (cp < 0x80 && SYNTAX.has(String.fromCharCode(cp)) ? '\\' : '') + plain(cp)
const classChar = (cp: number): string => (cp < 0x80 && CLASS_SYNTAX.has(String.fromCharCode(cp)) ? '\\' : '') + plain(cp)
const classBody = (ranges: readonly Range[]): string =>
  ranges.map(([lo, hi]) => (lo === hi ? classChar(lo) : `${classChar(lo)}${hi === lo + 1 ? '' : '-'}${classChar(hi)}`)).join('')

export function emitAlts(alts: Node[][], globalFold: boolean): string {
  return alts.map((seq) => seq.map((n) => emitNode(n, globalFold)).join('')).join('|')
}

function emitNode(n: Node, globalFold: boolean): string {
  switch (n.kind) {
    case 'lit': {
      const orbit = n.fold && !globalFold ? foldOrbits().get(n.cp) : undefined
      return orbit ? `[${classBody(normalize(orbit.map((m) => [m, m] as const)))}]` : litChar(n.cp)
    }
    case 'class': {
      let ranges = normalize(n.ranges)
      if (n.fold && !globalFold) {
        if (n.props.length > 0) {
          const why = 'edgevoy cannot case-fold \\p{..} inside a (?i) group that does not cover the whole pattern; put (?i) at the start of the pattern'
          throw new Re2Error(why, n.at, false)
        }
        ranges = foldRanges(ranges)
      }
      return `[${n.negated ? '^' : ''}${classBody(ranges)}${n.props.join('')}]`
    }
    case 'dot':
      return n.nl ? '[\\s\\S]' : '[^\\n]'
    case 'assert':
      // No JS `m` flag is ever set, so `^`/`$` are text anchors, exactly RE2's \A and \z (and its non-multiline ^ $).
      if (n.which === '^') return n.multiline ? '(?<![^\\n])' : '^'
      if (n.which === '$') return n.multiline ? '(?![^\\n])' : '$'
      return n.which === 'A' ? '^' : n.which === 'z' ? '$' : `\\${n.which}`
    case 'group': {
      const open = !n.capture ? '(?:' : n.name && /^[\p{ID_Start}_$][\p{ID_Continue}$]*$/u.test(n.name) ? `(?<${n.name}>` : '('
      return `${open}${emitAlts(n.alts, globalFold)})`
    }
    case 'repeat': {
      const sub = emitNode(n.sub, globalFold)
      const wrapped = n.sub.kind === 'assert' || n.sub.kind === 'repeat' ? `(?:${sub})` : sub
      const q =
        n.min === 0 && n.max === -1 ? '*'
        : n.min === 1 && n.max === -1 ? '+'
        : n.min === 0 && n.max === 1 ? '?'
        : n.max === -1 ? `{${n.min},}`
        : n.max === n.min ? `{${n.min}}`
        : `{${n.min},${n.max}}`
      return `${wrapped}${q}${n.greedy ? '' : '?'}`
    }
  }
}
