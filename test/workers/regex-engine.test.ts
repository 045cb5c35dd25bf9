/**
 * The linear-time engine (src/regex/) against the translation it replaced
 * (RE2 → JS RegExp, src/config/re2/emit.ts), on generated RE2 patterns and
 * short inputs where backtracking still finishes at once: same yes/no full
 * matches, same leftmost-first match spans, same submatches where JS and RE2
 * define them alike. Semantics did not change; only the running time did.
 * RE2 syntax and semantics: https://github.com/google/re2/wiki/Syntax
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { validateConfig } from '../../src/config/load'
import { compileRe2, compileRe2FullMatch, compileRe2Regex } from '../../src/config/re2'
import { anyHost, bootstrap } from '../support/config'

/** A generated pattern, with what the comparison needs to know about it. */
interface Pat {
  src: string
  /** A capture group sits under a repetition: JS resets it on every round, RE2 keeps the last value set. */
  captureInLoop: boolean
  /** Holds a capture group. */
  captures: boolean
  /**
   * A repetition whose body can match the empty string: JS refuses an empty
   * round beyond the minimum (ES RepeatMatcher), RE2 takes it when it has
   * priority, so `-(?:a*?|a){1,3}` matches "-" in RE2 and "-a" in JS.
   */
  nullableLoop: boolean
}

const leaf = (src: string): Pat => ({ src, captureInLoop: false, captures: false, nullableLoop: false })
/** Can `src` match the empty string somewhere (assertions such as `\b` depend on the neighbours)? */
const nullable = (src: string): boolean => {
  const r = compileRe2(src)
  if (!r.ok) return false
  const g = new RegExp(r.source, `${r.flags}g`)
  return ['', 'a', ' a', 'a ', 'a\na', 'é'].some((t) => [...t.matchAll(g)].some((m) => m[0] === ''))
}

const atom: fc.Arbitrary<Pat> = fc.constantFrom(
  'a', 'b', 'A', '\\.', '-', '\\n', '[ab]', '[^a]', '[a-c]', '[^\\n-]', '.', '\\d', '\\w', '\\s', '\\W', '[[:alpha:]]', '\\pL', 'é', '😀',
).map(leaf)
const assertion: fc.Arbitrary<Pat> = fc.constantFrom('^', '$', '\\b', '\\B', '\\A', '\\z').map(leaf)
const quantifier = fc.constantFrom('*', '+', '?', '{2}', '{1,3}', '{0,2}', '{2,}', '*?', '+?', '??', '{1,2}?')

const { pattern } = fc.letrec<{ pattern: Pat; seq: Pat; term: Pat }>((tie) => ({
  pattern: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('seq'),
    fc.tuple(tie('seq'), tie('seq')).map(([a, b]) => ({ src: `${a.src}|${b.src}`, captureInLoop: a.captureInLoop || b.captureInLoop, captures: a.captures || b.captures, nullableLoop: a.nullableLoop || b.nullableLoop })),
  ),
  seq: fc.array(tie('term'), { minLength: 1, maxLength: 4 }).map((ts) => ({
    src: ts.map((t) => t.src).join(''),
    captureInLoop: ts.some((t) => t.captureInLoop),
    captures: ts.some((t) => t.captures),
    nullableLoop: ts.some((t) => t.nullableLoop),
  })),
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    atom,
    assertion,
    fc.tuple(atom, quantifier).map(([a, q]) => leaf(a.src + q)),
    fc.tuple(fc.constantFrom('(', '(?:', '(?i:', '(?s:', '(?P<n>'), tie('pattern')).map(([open, p]) => ({
      src: `${open}${p.src})`,
      captureInLoop: p.captureInLoop,
      captures: p.captures || open === '(' || open === '(?P<n>',
      nullableLoop: p.nullableLoop,
    })),
    fc.tuple(fc.constantFrom('(', '(?:'), tie('pattern'), quantifier).map(([open, p, q]) => ({
      src: `${open}${p.src})${q}`,
      captureInLoop: p.captures || open === '(',
      captures: p.captures || open === '(',
      nullableLoop: p.nullableLoop || nullable(p.src),
    })),
  ),
}))

const flagged: fc.Arbitrary<Pat> = fc
  .tuple(fc.constantFrom('', '', '(?i)', '(?s)', '(?m)', '(?U)', '(?is)'), pattern)
  .map(([f, p]) => ({ ...p, src: f + p.src }))
  // The generator may nest `(?P<n>` twice; RE2 rejects duplicate names.
  .filter((p) => compileRe2(p.src).ok)

const input = fc.array(fc.constantFrom('a', 'a', 'b', 'A', '.', '-', '\n', '1', ' ', 'é', 'É', '😀'), { maxLength: 8 }).map((cs) => cs.join(''))

function oldFull(p: string): RegExp {
  const r = compileRe2FullMatch(p)
  if (!r.ok) throw new Error(r.message)
  return r.regex
}

function oldSearch(p: string, flags = ''): RegExp {
  const r = compileRe2(p)
  if (!r.ok) throw new Error(r.message)
  return new RegExp(r.source, r.flags + flags)
}

describe('same results as the RE2 → RegExp translation (fast-check)', () => {
  it('full match (every route, header, query, rbac, cors and jwt_authn regex)', () => {
    fc.assert(
      fc.property(flagged, fc.array(input, { minLength: 1, maxLength: 6 }), (p, inputs) => {
        const engine = compileRe2Regex(p.src)
        const old = oldFull(p.src)
        for (const s of inputs) expect(engine.fullMatch(s), `/${p.src}/ on ${JSON.stringify(s)}`).toBe(old.test(s))
      }),
      { numRuns: 600 },
    )
  }, 60_000)

  it('leftmost-first match span, and submatches outside repetitions (repetitions that can match empty aside)', () => {
    fc.assert(
      fc.property(flagged, input, (p, s) => {
        fc.pre(!p.nullableLoop)
        const got = compileRe2Regex(p.src).exec(s)
        const want = oldSearch(p.src).exec(s)
        const where = `/${p.src}/ on ${JSON.stringify(s)}`
        if (!want) {
          expect(got, where).toBeUndefined()
          return
        }
        // V8 tries positions inside a surrogate pair (/(?![^\n])/u.exec('😀').index is 1);
        // RE2 works on code points, where no such position exists.
        const low = want.index > 0 && /[\udc00-\udfff]/.test(s[want.index] ?? '') && /[\ud800-\udbff]/.test(s[want.index - 1]!)
        fc.pre(!low)
        expect(got, where).toBeDefined()
        expect([got![0], got![1]], where).toEqual([want.index, want.index + want[0].length])
        if (p.captureInLoop) return
        for (let g = 1; g < want.length; g++) {
          const text = got![2 * g]! >= 0 ? s.slice(got![2 * g], got![2 * g + 1]) : undefined
          expect(text, `${where}, group ${g}`).toBe(want[g])
        }
      }),
      { numRuns: 600 },
    )
  }, 60_000)

  it('regex_rewrite (RE2::GlobalReplace) equals String.replace where no match is empty', () => {
    fc.assert(
      fc.property(flagged.filter((p) => !p.captureInLoop && !p.nullableLoop), input, (p, s) => {
        const all = [...s.matchAll(oldSearch(p.src, 'g'))]
        fc.pre(all.every((m) => m[0].length > 0))
        const groups = compileRe2Regex(p.src).groups
        const rewrite = groups > 0 ? '<\\0|\\1>' : '<\\0>'
        const js = groups > 0 ? '<$&|$1>' : '<$&>'
        expect(compileRe2Regex(p.src).replaceAll(s, rewrite), `/${p.src}/ on ${JSON.stringify(s)}`).toBe(s.replace(oldSearch(p.src, 'g'), js))
      }),
      { numRuns: 400 },
    )
  }, 60_000)
})

describe('engine internals', () => {
  it('a pattern whose DFA outgrows its state cache still answers like the submatch engine', () => {
    // (a|b)*a(a|b){9} needs 2^10 DFA states: the cache (256) starts over many times.
    const p = '(?:a|b)*a(?:a|b){9}'
    const dfa = compileRe2Regex(p)
    const anchored = compileRe2Regex(`^(?:${p})$`)
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b'), { minLength: 0, maxLength: 400 }), (cs) => {
        const s = cs.join('')
        expect(dfa.fullMatch(s)).toBe(anchored.exec(s) !== undefined)
        expect(dfa.fullMatch(s)).toBe(s.length >= 10 && s[s.length - 10] === 'a')
      }),
      { numRuns: 200 },
    )
  })

  it('long inputs take the Pike VM (beyond BitState\'s bitmap) and agree with the DFA', () => {
    const re = compileRe2Regex('^/([a-z0-9]+-?)+(x)$')
    const long = `/${'ab-'.repeat(30_000)}x`
    expect(re.fullMatch(long)).toBe(true)
    const m = re.exec(long)!
    expect([m[0], m[1], m[4], m[5]]).toEqual([0, long.length, long.length - 1, long.length])
    expect(re.replaceAll(long, '\\2')).toBe('x')
  })

  it('\\b and (?m) anchors run off the DFA and keep RE2 meaning (ASCII word boundary, \\n lines)', () => {
    expect(compileRe2Regex('(?i)s\\b').fullMatch('S')).toBe(true)
    expect(compileRe2Regex('.*\\bé').fullMatch('aé')).toBe(true) // é is not an ASCII word character
    expect(compileRe2Regex('(?m)a$\\n^b').fullMatch('a\nb')).toBe(true)
    expect(compileRe2Regex('(?m)a$\\r^b').fullMatch('a\rb')).toBe(false)
  })

  it('an empty round of a repetition counts when it has priority, as in RE2 (JS refuses it)', () => {
    // RE2 unrolls x{1,3} into x(x(x)?)? and a*? prefers the empty string, so the match is "-";
    // re2js (RE2/J's port) agrees; V8's RegExp gives "-a".
    expect(compileRe2Regex('-(?:a*?|a){1,3}').exec('-a')!.slice(0, 2)).toEqual([0, 1])
    expect(compileRe2Regex('-(?:a*?|a){1,3}').fullMatch('-a')).toBe(true)
  })

  it('astral code points are one character', () => {
    expect(compileRe2Regex('a.b').fullMatch('a😀b')).toBe(true)
    expect(compileRe2Regex('x').replaceAll('😀', '-')).toBe('😀')
    expect(compileRe2Regex('').replaceAll('😀😀', '-')).toBe('-😀-😀-')
  })

  it('a compiled regex survives deep freezing (its caches are private)', async () => {
    const { deepFreeze } = await import('../../src/snapshot/link')
    const re = deepFreeze({ re: compileRe2Regex('^/frozen/[a-z]+$') }).re
    expect(re.fullMatch('/frozen/abc')).toBe(true)
    expect(re.replaceAll('/frozen/abc', 'x')).toBe('x')
  })
})

describe('validation of every regex the engine will run', () => {
  const routeWith = (match: Record<string, unknown>) =>
    bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/', ...match }, route: { cluster: 'a' } }]), clusters: { a: [1] } })

  it('the v2 query matcher value with regex: true is checked as RE2', () => {
    const r = validateConfig(routeWith({ query_parameters: [{ name: 'q', value: '(?=x)', regex: true }] }))
    expect(r.ok).toBe(false)
    expect(r.errors[0]!.message).toContain('lookahead (?=...) is not supported by RE2')
    expect(validateConfig(routeWith({ query_parameters: [{ name: 'q', value: '(?=x)' }] })).ok).toBe(true)
  })

  it('a regex over Envoy\'s default program size (100) is a warning: Envoy refuses it, and it costs time per character', () => {
    const big = validateConfig(routeWith({ headers: [{ name: 'x', safe_regex_match: { regex: '(a|aa){0,999}b' } }] }))
    expect(big.ok).toBe(true)
    expect(big.warnings.map((w) => w.message).join('\n')).toMatch(/compiles to \d+ instructions: Envoy refuses RE2 programs over 100/)
    expect(validateConfig(routeWith({ safe_regex: { regex: '^/api/v[0-9]+/users/[^/]+$' } })).warnings).toEqual([])
  })

  it('google_re2.max_program_size is accepted with a warning: no program-size limit applies', () => {
    const r = validateConfig(routeWith({ headers: [{ name: 'x', safe_regex_match: { google_re2: { max_program_size: 100 }, regex: 'a+' } }] }))
    expect(r.ok).toBe(true)
    expect(r.warnings.map((w) => w.message).join('\n')).toContain('max_program_size is ignored')
    const quiet = validateConfig(routeWith({ headers: [{ name: 'x', safe_regex_match: { google_re2: {}, regex: 'a+' } }] }))
    expect(quiet.warnings.map((w) => w.message).filter((m) => m.includes('google_re2') || m.includes('program'))).toEqual([])
  })
})
