/**
 * RE2 → JavaScript RegExp. Envoy's `safe_regex` is Google RE2
 * (https://github.com/google/re2/wiki/Syntax); edgevoy matches with V8's
 * RegExp. A small recursive-descent scanner reads the pattern with RE2's own
 * grammar (modelled on re2/parse.cc), so a config edgevoy accepts also loads
 * in Envoy, and nothing RE2 refuses (backreferences, lookaround, possessive
 * and atomic groups — the constructs that make backtracking catastrophic)
 * reaches V8. The JS source is then emitted from the parsed tree, never by
 * rewriting the pattern text, and always with flag `u` so every character is
 * escaped on our terms and `.` and classes match whole code points as RE2 does.
 *
 * Flags: `(?i)` that covers every cased atom becomes the JS `i` flag; a partial
 * one (`a(?i:b)`) is expanded into case-folded classes (`[bB]`), except that
 * `\p{..}` inside a partial `(?i)` is rejected. `(?s)`, `(?m)` and `(?U)` are
 * applied per atom (`.` → `[\s\S]`, `^` → `(?<![^\n])`, lazy ↔ greedy), so JS
 * flags `s`/`m` are never set and `^`/`$` in the output are whole-text anchors.
 */

export type Re2Result =
  | { ok: true; regex: RegExp; source: string; flags: string }
  | { ok: false; message: string; index?: number }

export interface Re2Options {
  /** Start with RE2's case-folding flag on, as `(?i)` would. */
  readonly ignoreCase?: boolean
}

/** Validate an RE2 pattern and translate it into an equivalent JS RegExp (flag 'u'; no 'g'/'y'). */
export function compileRe2(pattern: string, options?: Re2Options): Re2Result {
  return cached('p', pattern, options, (s) => s)
}

/** Anchored full-match version, as Envoy's safe_regex route match requires the whole path to match: ^(?:pattern)$ */
export function compileRe2FullMatch(pattern: string, options?: Re2Options): Re2Result {
  return cached('f', pattern, options, (s) => `^(?:${s})$`)
}

/**
 * Every safe_regex is translated when the config is validated and again when
 * it is compiled: remember results by pattern (they are immutable; the RegExps
 * carry no g/y state). Bounded, so a stream of configs cannot grow it forever.
 */
const CACHE_LIMIT = 20_000
const cache = new Map<string, Re2Result>()
function cached(kind: string, pattern: string, options: Re2Options | undefined, wrap: (s: string) => string): Re2Result {
  const key = `${kind}${options?.ignoreCase ? 'i' : ''}\u0000${pattern}`
  let result = cache.get(key)
  if (result === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear()
    result = build(pattern, options, wrap)
    cache.set(key, result)
  }
  return result
}

function build(pattern: string, options: Re2Options | undefined, wrap: (s: string) => string): Re2Result {
  let alts: Node[][]
  let source: string
  let fold: boolean
  try {
    alts = new Parser(pattern, options?.ignoreCase === true).parse()
    fold = canFoldGlobally(alts, options?.ignoreCase === true)
    source = wrap(emitAlts(alts, fold))
  } catch (e) {
    if (!(e instanceof Re2Error)) throw e
    let message = `${e.message} at offset ${e.index}`
    if (e.syntax) {
      // The engine's own wording helps people who know JS regexes; only quoted when JS agrees it is invalid.
      try {
        new RegExp(pattern)
      } catch (js) {
        message += ` (JavaScript: ${(js as Error).message})`
      }
    }
    return { ok: false, message, index: e.index }
  }
  const flags = fold ? 'ui' : 'u'
  try {
    return { ok: true, regex: new RegExp(source, flags), source, flags }
  } catch (e) {
    return { ok: false, message: `cannot translate RE2 pattern to JavaScript: ${(e as Error).message}` }
  }
}

// ---------------------------------------------------------------------------
// Parse tree

type Range = readonly [number, number]
interface Lit { kind: 'lit'; cp: number; fold: boolean }
interface Cls { kind: 'class'; ranges: Range[]; props: string[]; negated: boolean; fold: boolean; at: number }
interface Dot { kind: 'dot'; nl: boolean }
interface Assert { kind: 'assert'; which: '^' | '$' | 'A' | 'z' | 'b' | 'B'; multiline: boolean }
interface Group { kind: 'group'; capture: boolean; name?: string; alts: Node[][]; weight: number }
interface Repeat { kind: 'repeat'; sub: Node; min: number; max: number; greedy: boolean; weight: number }
type Node = Lit | Cls | Dot | Assert | Group | Repeat

interface Flags { i: boolean; m: boolean; s: boolean; U: boolean }

class Re2Error extends Error {
  constructor(message: string, readonly index: number, readonly syntax: boolean) {
    super(message)
  }
}

const unsupported = (what: string, index: number, why = ''): Re2Error =>
  new Re2Error(`${what} is not supported by RE2, the regex engine of Envoy's safe_regex${why}`, index, false)
const LINEAR = ' (RE2 guarantees linear-time matching)'

/** RE2's limit on counted repetition, also applied to the product of nested counts. */
const MAX_REPEAT = 1000

const PERL: Record<string, Range[]> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
}
const POSIX: Record<string, Range[]> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
}
const GENERAL_CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '),
)
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39
const isOctal = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x37
const isHex = (c: number | undefined): boolean =>
  c !== undefined && (isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
const isAsciiAlnum = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
const ch = (c: string): number => c.codePointAt(0)!

class Parser {
  private pos = 0
  private flags: Flags
  private readonly names = new Set<string>()

  constructor(private readonly src: string, ignoreCase: boolean) {
    this.flags = { i: ignoreCase, m: false, s: false, U: false }
  }

  parse(): Node[][] {
    const alts = this.parseAlts()
    if (this.pos < this.src.length) throw new Re2Error('unexpected ): unbalanced parentheses', this.pos, true)
    return alts
  }

  private peek(ahead = 0): number | undefined {
    let p = this.pos
    for (let k = 0; k < ahead && p < this.src.length; k++) p += this.src.codePointAt(p)! > 0xffff ? 2 : 1
    return this.src.codePointAt(p)
  }

  private next(): number {
    const c = this.src.codePointAt(this.pos)
    if (c === undefined) throw new Re2Error('unexpected end of pattern', this.pos, true)
    if (c >= 0xd800 && c <= 0xdfff) throw new Re2Error('unpaired surrogate (invalid UTF-8 for RE2)', this.pos, true)
    this.pos += c > 0xffff ? 2 : 1
    return c
  }

  private startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos)
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

  private parseClass(at: number): Cls {
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

  private parseEscapeAtom(at: number): Node[] {
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
  private escapedChar(): number {
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

function weightOf(n: Node): number {
  return n.kind === 'group' || n.kind === 'repeat' ? n.weight : 1
}

// ---------------------------------------------------------------------------
// Code point sets and case folding

function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0])
  const out: [number, number][] = []
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1]
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi)
    else out.push([lo, hi])
  }
  return out
}

function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = []
  let next = 0
  for (const [lo, hi] of normalize(ranges)) {
    if (next < lo) out.push([next, lo - 1])
    next = hi + 1
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff])
  return out
}

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
function foldOrbits(): Map<number, number[]> {
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

function foldRanges(ranges: readonly Range[]): Range[] {
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
function canFoldGlobally(alts: Node[][], ignoreCase: boolean): boolean {
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

// ---------------------------------------------------------------------------
// Emission

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

function emitAlts(alts: Node[][], globalFold: boolean): string {
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
