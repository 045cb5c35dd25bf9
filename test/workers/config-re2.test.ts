/**
 * RE2 → JS translation. RE2 syntax (what is accepted and what is refused):
 * https://github.com/google/re2/wiki/Syntax
 * Envoy matches a route's safe_regex against the whole path (RE2::FullMatch):
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routematch-safe-regex
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileRe2, compileRe2FullMatch } from '../../src/config/re2'

function full(pattern: string, options?: { ignoreCase?: boolean }): RegExp {
  const r = compileRe2FullMatch(pattern, options)
  if (!r.ok) throw new Error(`${pattern}: ${r.message}`)
  return r.regex
}

function rejection(pattern: string): string {
  const r = compileRe2(pattern)
  if (r.ok) throw new Error(`${pattern} was accepted as /${r.source}/${r.flags}`)
  return r.message
}

describe('patterns realistic Envoy configs use', () => {
  it.each([
    ['^/api/v[0-9]+/users/[^/]+$', ['/api/v2/users/bob'], ['/api/v/users/bob', '/api/v2/users/bob/x']],
    ['/service/([0-9]+)/.*', ['/service/42/', '/service/42/a/b'], ['/service/x/a', '/service/42']],
    ['.*\\.(jpg|png)', ['/a/b.jpg', '.png'], ['/a/b.gif', '/a.jpg/x']],
    ['[a-z]+\\.example\\.com', ['www.example.com'], ['WWW.example.com', 'wwwxexample.com']],
    ['(?i)/admin.*', ['/admin', '/ADMIN/x', '/Admin'], ['/x/admin']],
    ['/v1/[^/]+/[0-9a-f]{8}-[0-9a-f]{4}', ['/v1/x/deadbeef-0123'], ['/v1/x/deadbeef-012']],
    ['/static/.+\\.(css|js)(\\?.*)?', ['/static/a.css', '/static/a.js?v=1'], ['/static/.css']],
  ])('%s', (pattern, yes, no) => {
    const re = full(pattern)
    for (const s of yes) expect(re.test(s), s).toBe(true)
    for (const s of no) expect(re.test(s), s).toBe(false)
  })

  it('never sets g or y (a shared RegExp must not carry lastIndex state)', () => {
    for (const p of ['a', '(?i)a', '(?s).', 'a(?i:b)']) {
      const r = compileRe2(p)
      expect(r.ok && /[gy]/.test(r.flags)).toBe(false)
      expect(r.ok && r.flags.includes('u')).toBe(true)
    }
  })
})

describe('constructs RE2 refuses are rejected, naming the construct', () => {
  it.each([
    ['(a)\\1', 'backreference \\1'],
    ['(?P<n>a)\\k<n>', 'backreference \\k'],
    ['(?P<n>a)(?P=n)', 'named backreference'],
    ['a(?=b)', 'lookahead'],
    ['a(?!b)', 'negative lookahead'],
    ['(?<=a)b', 'lookbehind'],
    ['(?<!a)b', 'negative lookbehind'],
    ['(?>a+)b', 'atomic group'],
    ['a*+', 'possessive quantifier *+'],
    ['a++', 'possessive quantifier ++'],
    ['a?+', 'possessive quantifier ?+'],
    ['a{2}+', 'possessive quantifier {2}+'],
    ['a{2,}+', 'possessive quantifier {2,}+'],
    ['\\Ga', '\\G'],
    ['(a)?(?(1)b|c)', 'conditional'],
    ['a(?R)?', 'recursion'],
    ['(a)(?1)', 'recursion'],
    ['(?x) a', 'flag (?x)'],
    ['a\\Z', '\\Z'],
  ])('%s', (pattern, construct) => {
    const message = rejection(pattern)
    expect(message).toContain(construct)
    expect(message).toContain('not supported by RE2')
  })

  it('reports where the construct starts', () => {
    const r = compileRe2('/api(?=/v1)')
    expect(r.ok).toBe(false)
    expect(!r.ok && r.index).toBe(4)
  })

  it.each([
    ['(abc', 'missing )', 'Unterminated group'],
    ['abc)', 'unexpected )', "Unmatched ')'"],
    ['[abc', 'missing closing ]', 'Unterminated character class'],
    ['*a', 'missing argument to repetition operator', 'Nothing to repeat'],
    ['a**', 'bad repetition operator **', 'Nothing to repeat'],
    ['[z-a]', 'invalid character class range z-a', 'Range out of order'],
    ['a\\', 'trailing \\', '\\ at end of pattern'],
  ])('invalid %s: RE2 message plus the JS engine text', (pattern, ours, js) => {
    const message = rejection(pattern)
    expect(message).toContain(ours)
    expect(message).toContain(`JavaScript: Invalid regular expression`)
    expect(message).toContain(js)
  })

  it.each([
    ['a{1001}', 'bad repetition operator {1001}'],
    ['a{0,1001}', 'bad repetition operator {0,1001}'],
    ['(a{100}){11}', 'bad repetition operator {11}'],
    ['((a{10}){10}){11}', 'bad repetition operator {11}'],
    ['a{3,2}', 'max is less than min'],
    ['\\q', 'invalid escape sequence \\q'],
    ['[[:alfa:]]', 'invalid POSIX character class [:alfa:]'],
    ['\\p{Klingon}', 'unknown Unicode class'],
    ['(?P<a>x)(?P<a>y)', 'duplicate capture group name'],
  ])('%s (RE2 limits and RE2-only errors)', (pattern, message) => {
    expect(rejection(pattern)).toContain(message)
  })

  it('accepts counts up to RE2 limit of 1000, nested products included', () => {
    expect(compileRe2('a{1000}').ok).toBe(true)
    expect(compileRe2('(a{10}){100}').ok).toBe(true)
    expect(compileRe2('(a*){1000}').ok).toBe(true)
  })
})

describe('the scanner understands escapes and classes', () => {
  it('(?= inside a class is three literal characters, not lookahead', () => {
    const re = full('[(?=]+')
    expect(re.test('(?=')).toBe(true)
    expect(re.test('a')).toBe(false)
  })

  it('\\\\1 is an escaped backslash then 1, not a backreference', () => {
    expect(full('a\\\\1').test('a\\1')).toBe(true)
  })

  it('\\( and \\[ are literals, so no group or class is opened', () => {
    expect(compileRe2('\\((?=').ok).toBe(false) // the (?= after \( is real lookahead
    expect(full('\\(\\[a\\]\\)').test('([a])')).toBe(true)
  })

  it('follows RE2 class rules: leading ] and trailing - are literal, \\d inside', () => {
    expect(full('[]a]+').test(']a]')).toBe(true)
    expect(full('[a-]+').test('a-a')).toBe(true)
    expect(full('[\\d.]+').test('1.2')).toBe(true)
    expect(full('[^\\D]').test('5')).toBe(true)
    expect(full('[^\\D]').test('x')).toBe(false)
  })

  it('\\12 is octal in RE2 (a lone \\1 would be a backreference)', () => {
    expect(full('a\\12b').test('a\nb')).toBe(true)
    expect(full('\\x41\\x{1F600}').test('A😀')).toBe(true)
  })

  it('{ that is not a repeat is a literal, as in RE2', () => {
    expect(full('a{,3}').test('a{,3}')).toBe(true)
    expect(full('{').test('{')).toBe(true)
    expect(full('x{2}').test('xx')).toBe(true)
  })

  it('escapes are accepted for any ASCII punctuation (JS u mode would reject \\- or \\_ outside a class)', () => {
    expect(full('\\/\\-\\_\\ \\@').test('/-_ @')).toBe(true)
  })
})

describe('RE2 semantics carried into JS', () => {
  it('(?i) at the start becomes the i flag', () => {
    const r = compileRe2FullMatch('(?i)/Foo/[a-z]+')
    expect(r.ok && r.flags).toBe('ui')
    expect(r.ok && r.regex.test('/fOO/ABC')).toBe(true)
  })

  it('a (?i:...) group covers only its own letters', () => {
    const re = full('/api(?i:/users)/[a-z]+')
    expect(re.test('/api/USERS/bob')).toBe(true)
    expect(re.test('/API/users/bob')).toBe(false)
    expect(re.test('/api/users/BOB')).toBe(false)
    const cls = full('a(?i:[b-c])')
    expect(cls.test('aB')).toBe(true)
    expect(cls.test('AB')).toBe(false)
  })

  it('(?i) case-folds like the i flag, Kelvin sign included', () => {
    expect(full('x(?i:k)').test('x\u212a')).toBe(true)
    expect(full('(?i)k').test('\u212a')).toBe(true)
  })

  it('a partial (?i) folds exactly like the JS i flag (checked in this runtime)', () => {
    const chars = [...'kK\u212asSſσςΣθϑΘµμΜåÅ\u212bıIiİßẞǅǄǆ1_é']
    for (const c of chars) {
      const expanded = full(`x(?i:${c})`)
      const flag = new RegExp(`^x${c}$`, 'ui')
      for (const d of chars) expect(expanded.test(`x${d}`), `${c} vs ${d}`).toBe(flag.test(`x${d}`))
    }
  })

  it('(?i)\\W folds before negating, as RE2 does: ſ and K are not non-word', () => {
    expect(full('\\W').test('ſ')).toBe(true)
    expect(full('(?i)\\W').test('ſ')).toBe(false)
    expect(full('(?i)[[:^alpha:]]').test('\u212a')).toBe(false)
  })

  it('\\b stays ASCII under (?i), unlike the JS ui flag', () => {
    const r = compileRe2('(?i)s\\b')
    expect(r.ok && r.flags).toBe('u')
    expect(r.ok && r.regex.test('Sſ')).toBe(true)
    expect(full('(?i)\\pL\\b').test('a')).toBe(true)
  })

  it('(?-i) turns folding off again for the rest of the group', () => {
    const re = full('(?i)a(?-i)b')
    expect(re.test('Ab')).toBe(true)
    expect(re.test('AB')).toBe(false)
  })

  it('ignoreCase option works like a leading (?i)', () => {
    expect(full('/ADMIN', { ignoreCase: true }).test('/admin')).toBe(true)
  })

  it('\\A and \\z anchor the whole text even under (?m)', () => {
    const re = compileRe2('(?m)\\Aa$')
    expect(re.ok && re.regex.test('a\nb')).toBe(true)
    expect(re.ok && re.regex.test('b\na')).toBe(false)
    const end = compileRe2('a\\z')
    expect(end.ok && end.regex.test('xa')).toBe(true)
    expect(end.ok && end.regex.test('a\n')).toBe(false)
  })

  it('$ without (?m) is end of text only (RE2 has no Perl \\Z-like $)', () => {
    const r = compileRe2('a$')
    expect(r.ok && r.regex.test('a\n')).toBe(false)
  })

  it('(?m) ^ and $ match at \\n only, not \\r', () => {
    const r = compileRe2('(?m)^b$')
    expect(r.ok && r.regex.test('a\nb\nc')).toBe(true)
    expect(r.ok && r.regex.test('a\rb')).toBe(false)
  })

  it('. matches \\r but not \\n; (?s). matches \\n', () => {
    expect(full('a.b').test('a\rb')).toBe(true)
    expect(full('a.b').test('a\nb')).toBe(false)
    expect(full('(?s)a.b').test('a\nb')).toBe(true)
    expect(full('a(?s:.)b.').test('a\nbc')).toBe(true)
  })

  it('. matches a whole astral code point', () => {
    expect(full('a.b').test('a😀b')).toBe(true)
  })

  it('\\s is RE2 ASCII whitespace, without \\v or Unicode spaces', () => {
    expect(full('\\s').test(' ')).toBe(true)
    expect(full('\\s').test('\v')).toBe(false)
    expect(full('\\s').test('\u00a0')).toBe(false)
  })

  it('(?P<n>...) and (?<n>...) become JS named groups', () => {
    const re = full('/users/(?P<id>[0-9]+)/(?<tab>[a-z]+)')
    expect('/users/42/posts'.match(re)?.groups).toEqual({ id: '42', tab: 'posts' })
  })

  it('POSIX classes inside brackets', () => {
    expect(full('[[:digit:]]+').test('0123')).toBe(true)
    expect(full('[[:digit:]]+').test('12a')).toBe(false)
    expect(full('[[:alpha:][:digit:]_]+').test('ab_9')).toBe(true)
    expect(full('[[:^space:]]+').test('a b')).toBe(false)
  })

  it('\\Q...\\E matches literally', () => {
    expect(full('\\Q.*\\E').test('.*')).toBe(true)
    expect(full('\\Q.*\\E').test('ab')).toBe(false)
    expect(full('/a\\Q(?=[\\E').test('/a(?=[')).toBe(true)
  })

  it('Unicode classes \\pN, \\p{Greek}, \\P{L}, \\p{^Greek}', () => {
    expect(full('\\pN+').test('12٣')).toBe(true)
    expect(full('\\p{Greek}+').test('αβγ')).toBe(true)
    expect(full('\\p{Greek}+').test('abc')).toBe(false)
    expect(full('\\P{L}').test('1')).toBe(true)
    expect(full('\\p{^Greek}').test('a')).toBe(true)
  })

  it('(?U) swaps greedy and lazy', () => {
    const lazy = compileRe2('(?U)a+')
    expect(lazy.ok && 'aaa'.match(lazy.regex)?.[0]).toBe('a')
    const greedy = compileRe2('(?U)a+?')
    expect(greedy.ok && 'aaa'.match(greedy.regex)?.[0]).toBe('aaa')
  })

  it('capture groups keep their numbers for regex_rewrite substitutions', () => {
    const r = compileRe2('^/service/([^/]+)(/.*)$')
    expect(r.ok && '/service/foo/bar'.replace(r.regex, '$2/instance/$1')).toBe('/bar/instance/foo')
  })

  it('a repeated empty-width assertion is valid RE2 and stays valid JS', () => {
    expect(full('^*a').test('a')).toBe(true)
  })
})

describe('properties', () => {
  // Literal characters plus RE2 metacharacters, which escaped() must quote.
  const alphabet = [...'abcXYZ019/-_.~:%@!$&\'()*+,;=?[]{}|^\\ é😀']
  const escaped = (s: string): string => [...s].map((c) => (/[A-Za-z0-9]/.test(c) || c.codePointAt(0)! > 0x7f ? c : `\\${c}`)).join('')

  it('an escaped literal string full-matches itself and nothing longer', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 20 }).map((cs) => cs.join('')), (s) => {
        const re = full(escaped(s))
        expect(re.test(s)).toBe(true)
        expect(re.test(`${s}x`)).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  it('the same string quoted with \\Q...\\E also full-matches itself', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet.filter((c) => c !== '\\')), { maxLength: 20 }).map((cs) => cs.join('')), (s) => {
        expect(full(`\\Q${s}\\E`).test(s)).toBe(true)
      }),
      { numRuns: 200 },
    )
  })
})
