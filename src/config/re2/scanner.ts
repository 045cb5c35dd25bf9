/**
 * The character level of RE2's grammar (modelled on re2/parse.cc): a cursor
 * over the pattern, character classes, Unicode classes and escapes. The
 * structural level (alternation, repetition, groups, flags) is in parse.ts.
 */

import { GENERAL_CATEGORIES, PERL, POSIX, ch, complement, isAsciiAlnum, isDigit, isHex, isOctal } from './charsets.js'
import { foldRanges } from './fold.js'
import { LINEAR, Re2Error, unsupported, type Assert, type Cls, type Flags, type Node, type Range } from './tree.js'

export class Scanner {
  protected pos = 0
  protected flags: Flags

  constructor(protected readonly src: string, ignoreCase: boolean) {
    this.flags = { i: ignoreCase, m: false, s: false, U: false }
  }

  protected peek(ahead = 0): number | undefined {
    let p = this.pos
    for (let k = 0; k < ahead && p < this.src.length; k++) p += this.src.codePointAt(p)! > 0xffff ? 2 : 1
    return this.src.codePointAt(p)
  }

  protected next(): number {
    const c = this.src.codePointAt(this.pos)
    if (c === undefined) throw new Re2Error('unexpected end of pattern', this.pos, true)
    if (c >= 0xd800 && c <= 0xdfff) throw new Re2Error('unpaired surrogate (invalid UTF-8 for RE2)', this.pos, true)
    this.pos += c > 0xffff ? 2 : 1
    return c
  }

  protected startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos)
  }

  protected parseClass(at: number): Cls {
    const ranges: Range[] = []
    const props: string[] = []
    let negated = false
    if (this.peek() === ch('^')) {
      this.pos++
      negated = true
    }
    for (let first = true; ; first = false) {
      if (this.pos >= this.src.length) throw new Re2Error('missing closing ] of character class', at, true)
      if (this.peek() === ch(']') && !first) break
      if (this.startsWith('[:')) {
        const end = this.src.indexOf(':]', this.pos + 2)
        if (end >= 0) {
          const raw = this.src.slice(this.pos + 2, end)
          const group = POSIX[raw.replace(/^\^/, '')]
          if (!group) throw new Re2Error(`invalid POSIX character class [:${raw}:]`, this.pos, true)
          ranges.push(...(raw.startsWith('^') ? this.negate(group) : group))
          this.pos = end + 2
          continue
        }
      }
      if (this.peek() === ch('\\')) {
        const c = this.peek(1)
        if (c === ch('p') || c === ch('P')) {
          this.parseUnicodeClass(ranges, props)
          continue
        }
        const perl = c === undefined ? undefined : PERL[String.fromCodePoint(c).toLowerCase()]
        if (perl && c !== undefined && /[dswDSW]/.test(String.fromCodePoint(c))) {
          this.pos += 2
          ranges.push(...(c < 0x61 ? this.negate(perl) : perl))
          continue
        }
      }
      const lo = this.classChar()
      let hi = lo
      if (this.peek() === ch('-') && this.peek(1) !== undefined && this.peek(1) !== ch(']')) {
        const rangeAt = this.pos
        this.pos++
        hi = this.classChar()
        if (hi < lo) throw new Re2Error(`invalid character class range ${this.src.slice(rangeAt - 1, this.pos)}`, rangeAt, true)
      }
      ranges.push([lo, hi])
    }
    this.pos++
    return { kind: 'class', ranges, props, negated, fold: this.flags.i, at }
  }

  /**
   * `\W`, `[:^alpha:]`…: RE2 case-folds the group *before* negating it, so
   * `(?i)\W` excludes ſ and K (Kelvin), which fold to s and k.
   */
  private negate(group: readonly Range[]): Range[] {
    const hasLetters = group.some(([lo, hi]) => lo <= 0x7a && hi >= 0x41)
    return complement(this.flags.i && hasLetters ? foldRanges(group) : group)
  }

  private classChar(): number {
    return this.peek() === ch('\\') ? this.escapedChar() : this.next()
  }

  /** `\pL`, `\p{Greek}`, `\P{..}`, `\p{^..}`: general categories stay `\p{..}`, other names are scripts. */
  private parseUnicodeClass(ranges: Range[], props: string[]): void {
    const at = this.pos
    this.pos++
    let negated = this.next() === ch('P')
    let name: string
    if (this.peek() === ch('{')) {
      const end = this.src.indexOf('}', this.pos)
      if (end < 0) throw new Re2Error('invalid Unicode class: missing }', at, true)
      name = this.src.slice(this.pos + 1, end)
      this.pos = end + 1
    } else {
      name = String.fromCodePoint(this.next())
    }
    if (name.startsWith('^')) {
      negated = !negated
      name = name.slice(1)
    }
    if (name === 'Any') {
      if (!negated) ranges.push([0, 0x10ffff])
      return
    }
    const js = GENERAL_CATEGORIES.has(name) ? name : /^[A-Za-z_]+$/.test(name) ? `Script=${name}` : ''
    const text = `\\${negated ? 'P' : 'p'}{${js}}`
    try {
      if (!js) throw new Error('bad name')
      new RegExp(text, 'u')
    } catch {
      throw new Re2Error(`unknown Unicode class \\p{${name}}`, at, true)
    }
    props.push(text)
  }

  protected parseEscapeAtom(at: number): Node[] {
    const c = this.peek()
    const { i, m } = this.flags
    const letter = c === undefined ? '' : String.fromCodePoint(c)
    if ('bBAz'.includes(letter) && letter) {
      this.pos++
      return [{ kind: 'assert', which: letter as Assert['which'], multiline: m }]
    }
    if (letter === 'Q') {
      // \Q...\E: everything up to \E (or the end) is literal.
      this.pos++
      const end = this.src.indexOf('\\E', this.pos)
      const stop = end < 0 ? this.src.length : end
      const out: Node[] = []
      while (this.pos < stop) out.push({ kind: 'lit', cp: this.next(), fold: i })
      this.pos = end < 0 ? stop : end + 2
      return out
    }
    if (letter === 'C') {
      throw new Re2Error('\\C (any single byte) cannot be translated: JavaScript regexes match code points, not bytes (RE2 discourages \\C too)', at, false)
    }
    if (letter === 'p' || letter === 'P') {
      this.pos = at
      const cls: Cls = { kind: 'class', ranges: [], props: [], negated: false, fold: i, at }
      this.parseUnicodeClass(cls.ranges, cls.props)
      return [cls]
    }
    if (/^[dswDSW]$/.test(letter)) {
      this.pos++
      const perl = PERL[letter.toLowerCase()]!
      return [{ kind: 'class', ranges: letter < 'a' ? this.negate(perl) : [...perl], props: [], negated: false, fold: i, at }]
    }
    this.pos = at
    return [{ kind: 'lit', cp: this.escapedChar(), fold: i }]
  }

  /** RE2's ParseEscape: one escaped character, inside or outside a class. */
  protected escapedChar(): number {
    const at = this.pos
    this.pos++
    if (this.pos >= this.src.length) throw new Re2Error('trailing \\ at end of pattern', at, true)
    const c = this.next()
    const simple: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, a: 0x07, f: 0x0c, v: 0x0b }
    const letter = String.fromCodePoint(c)
    if (simple[letter] !== undefined) return simple[letter]
    if (c < 0x80 && !isAsciiAlnum(c)) return c
    if (c === ch('0') || (c >= ch('1') && c <= ch('7') && isOctal(this.peek()))) {
      // Octal: up to three digits. A lone \1..\7 is a backreference, handled below.
      let code = c - 0x30
      for (let k = 0; k < 2 && isOctal(this.peek()); k++) code = code * 8 + this.next() - 0x30
      return code
    }
    if (isDigit(c)) throw unsupported(`backreference \\${letter}`, at, LINEAR)
    if (letter === 'x') return this.hexEscape(at)
    if (letter === 'k' || letter === 'g') throw unsupported(`backreference \\${letter}`, at, LINEAR)
    if (letter === 'G') throw unsupported('\\G (end of previous match)', at)
    if (letter === 'Z') throw unsupported('\\Z', at, '; use \\z for the end of text')
    throw new Re2Error(`invalid escape sequence \\${letter}`, at, true)
  }

  private hexEscape(at: number): number {
    const bad = (): Re2Error => new Re2Error(`invalid escape sequence ${this.src.slice(at, this.pos)}`, at, true)
    if (this.peek() === ch('{')) {
      this.pos++
      let code = 0
      let digits = 0
      while (isHex(this.peek())) {
        code = code * 16 + parseInt(String.fromCodePoint(this.next()), 16)
        digits++
        if (code > 0x10ffff) throw bad()
      }
      if (digits === 0 || this.peek() !== ch('}')) throw bad()
      this.pos++
      return code
    }
    if (!isHex(this.peek()) || !isHex(this.peek(1))) throw bad()
    return parseInt(String.fromCodePoint(this.next(), this.next()), 16)
  }
}
