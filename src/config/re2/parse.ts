/**
 * The structural level of RE2's grammar (modelled on re2/parse.cc):
 * alternation, repetition, groups and flag changes, on top of Scanner.
 */

import { isDigit, ch } from './charsets.js'
import { Scanner } from './scanner.js'
import { LINEAR, MAX_REPEAT, Re2Error, unsupported, weightOf, type Flags, type Node } from './tree.js'

export class Parser extends Scanner {
  private readonly names = new Set<string>()

  parse(): Node[][] {
    const alts = this.parseAlts()
    if (this.pos < this.src.length) throw new Re2Error('unexpected ): unbalanced parentheses', this.pos, true)
    return alts
  }

  /** Alternatives up to the next unmatched `)` or the end; `(?flags)` changes persist across `|` as in RE2. */
  private parseAlts(): Node[][] {
    const alts: Node[][] = [[]]
    let lastRepeat = -1
    while (this.pos < this.src.length && this.peek() !== ch(')')) {
      const at = this.pos
      const seq = alts[alts.length - 1]!
      if (this.peek() === ch('|')) {
        this.pos++
        alts.push([])
        lastRepeat = -1
        continue
      }
      const rep = this.maybeRepeat()
      if (rep) {
        if (lastRepeat >= 0) {
          const op = this.src.slice(lastRepeat, this.pos)
          if (this.src[at] === '+') throw unsupported(`possessive quantifier ${op}`, lastRepeat, LINEAR)
          throw new Re2Error(`bad repetition operator ${op}: RE2 does not allow stacked repetition`, lastRepeat, true)
        }
        const sub = seq.pop()
        if (!sub) throw new Re2Error(`missing argument to repetition operator ${this.src.slice(at, this.pos)}`, at, true)
        const weight = (rep.counted && rep.count > 0 ? rep.count : 1) * weightOf(sub)
        if (weight > MAX_REPEAT) {
          throw new Re2Error(`bad repetition operator ${this.src.slice(at, this.pos)}: counts above ${MAX_REPEAT} (including nested counts multiplied) exceed RE2's limit`, at, false)
        }
        seq.push({ kind: 'repeat', sub, min: rep.min, max: rep.max, greedy: rep.greedy, weight })
        lastRepeat = at
        continue
      }
      seq.push(...this.parseAtom())
      lastRepeat = -1
    }
    return alts
  }

  /** `*`, `+`, `?` or a well-formed `{n}`, `{n,}`, `{n,m}`, each with an optional lazy `?`; otherwise `{` is a literal. */
  private maybeRepeat(): { min: number; max: number; greedy: boolean; counted: boolean; count: number } | undefined {
    const at = this.pos
    const c = this.peek()
    let min: number, max: number
    let counted = false
    if (c === ch('*')) [min, max] = [0, -1]
    else if (c === ch('+')) [min, max] = [1, -1]
    else if (c === ch('?')) [min, max] = [0, 1]
    else if (c === ch('{')) {
      const m = this.countedRepeat()
      if (!m) return undefined
      ;[min, max] = m
      counted = true
    } else return undefined
    if (!counted) this.pos++
    if ((counted && (min > MAX_REPEAT || max > MAX_REPEAT)) || (max >= 0 && max < min)) {
      throw new Re2Error(`bad repetition operator ${this.src.slice(at, this.pos)}: ${max >= 0 && max < min ? 'max is less than min' : `counts above ${MAX_REPEAT} exceed RE2's limit`}`, at, false)
    }
    let lazy = false
    if (this.peek() === ch('?')) {
      this.pos++
      lazy = true
    }
    // (?U) swaps the meaning of `x*` and `x*?`.
    return { min, max, greedy: lazy === this.flags.U, counted, count: max >= 0 ? max : min }
  }

  /** RE2's MaybeParseRepetition: no leading zeros, `{,n}` is literal text. Advances only on success. */
  private countedRepeat(): [number, number] | undefined {
    const s = this.src
    let p = this.pos + 1
    const int = (): number | undefined => {
      if (!isDigit(s.charCodeAt(p)) || (s[p] === '0' && isDigit(s.charCodeAt(p + 1)))) return undefined
      let n = 0
      while (isDigit(s.charCodeAt(p))) {
        if (n >= 100_000_000) return undefined
        n = n * 10 + s.charCodeAt(p++) - 0x30
      }
      return n
    }
    const lo = int()
    if (lo === undefined) return undefined
    let hi = lo
    if (s[p] === ',') {
      p++
      if (s[p] === '}') hi = -1
      else {
        const h = int()
        if (h === undefined) return undefined
        hi = h
      }
    }
    if (s[p] !== '}') return undefined
    this.pos = p + 1
    return [lo, hi]
  }

  private parseAtom(): Node[] {
    const at = this.pos
    const c = this.next()
    const { i, m, s } = this.flags
    switch (c) {
      case ch('('):
        return this.parseGroup(at)
      case ch('['):
        return [this.parseClass(at)]
      case ch('.'):
        return [{ kind: 'dot', nl: s }]
      case ch('^'):
        return [{ kind: 'assert', which: '^', multiline: m }]
      case ch('$'):
        return [{ kind: 'assert', which: '$', multiline: m }]
      case ch('\\'):
        return this.parseEscapeAtom(at)
      default:
        return [{ kind: 'lit', cp: c, fold: i }]
    }
  }

  private parseGroup(at: number): Node[] {
    let capture = true
    let name: string | undefined
    const outer = this.flags
    if (this.peek() === ch('?')) {
      this.pos++
      const named = this.startsWith('P<') ? 2 : this.startsWith('<') && !this.startsWith('<=') && !this.startsWith('<!') ? 1 : 0
      if (named) {
        const end = this.src.indexOf('>', this.pos)
        if (end < 0) throw new Re2Error('invalid named capture group: missing >', at, true)
        name = this.src.slice(this.pos + named, end)
        if (!/^[\p{L}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]+$/u.test(name)) throw new Re2Error(`invalid named capture group name "${name}"`, at, true)
        if (this.names.has(name)) throw new Re2Error(`duplicate capture group name "${name}"`, at, true)
        this.names.add(name)
        this.pos = end + 1
      } else {
        this.rejectPerlGroup(at)
        const set = this.parseFlags(at)
        if (set === 'only') return []
        capture = false
        this.flags = set
      }
    }
    const alts = this.parseAlts()
    if (this.peek() !== ch(')')) throw new Re2Error('missing ): unbalanced parentheses', at, true)
    this.pos++
    this.flags = outer
    const weight = alts.flat().reduce((w, n) => Math.max(w, weightOf(n)), 1)
    return [{ kind: 'group', capture, name, alts, weight }]
  }

  /** Perl/PCRE group syntax RE2 refuses, named so config authors know what to change. */
  private rejectPerlGroup(at: number): void {
    const table: [string[], string, string][] = [
      [['='], 'lookahead (?=...)', LINEAR],
      [['!'], 'negative lookahead (?!...)', LINEAR],
      [['<='], 'lookbehind (?<=...)', LINEAR],
      [['<!'], 'negative lookbehind (?<!...)', LINEAR],
      [['>'], 'atomic group (?>...)', LINEAR],
      [['('], 'conditional (?(...)...)', LINEAR],
      [['R', '&', 'P>', '+', ...'0123456789'], 'recursion / subroutine call (?R)', LINEAR],
      [['P='], 'named backreference (?P=name)', LINEAR],
      [['#'], 'comment group (?#...)', ''],
      [['|'], 'branch reset group (?|...)', ''],
      [["'"], "named group (?'name'...)", '; write (?P<name>...)'],
    ]
    // `(?-1)` recurses, `(?-i)` clears a flag.
    if (this.startsWith('-') && isDigit(this.peek(1))) throw unsupported('recursion / subroutine call (?-1)', at, LINEAR)
    for (const [prefixes, what, why] of table) if (prefixes.some((p) => this.startsWith(p))) throw unsupported(what, at, why)
  }

  /** `(?flags)` → 'only' (flags changed for the rest of the enclosing group); `(?flags:` → the group's flags. */
  private parseFlags(at: number): Flags | 'only' {
    const f = { ...this.flags }
    let negated = false
    let saw = false
    for (;;) {
      if (this.pos >= this.src.length) throw new Re2Error('missing ) after (?', at, true)
      const c = String.fromCodePoint(this.next())
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        f[c] = !negated
        saw = true
      } else if (c === '-' && !negated) {
        negated = true
        saw = false
      } else if ((c === ')' || c === ':') && (saw || !negated)) {
        if (c === ':') return f
        this.flags = f
        return 'only'
      } else {
        const what = /[a-zA-Z]/.test(c) ? `flag (?${c})` : `group syntax ${this.src.slice(at, this.pos)}`
        throw unsupported(what, at, '; RE2 knows only the flags i, m, s and U')
      }
    }
  }
}
