/**
 * The nesting bound (src/config/nesting.ts): 101 levels are refused before any
 * parser recurses, in JSON and in YAML flow style, while brackets inside
 * quoted strings, comments and plain words do not count.
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { MAX_CONFIG_DEPTH, textNestingProblem, valueNestingProblem } from '../../src/config/nesting'

const deepValue = (n: number): unknown => {
  let v: unknown = 1
  for (let i = 0; i < n; i++) v = [v]
  return v
}

describe('config nesting bound', () => {
  it('counts JSON and YAML flow collections, and says where', () => {
    expect(MAX_CONFIG_DEPTH).toBe(100)
    expect(textNestingProblem('['.repeat(100) + ']'.repeat(100))).toBeUndefined()
    expect(textNestingProblem('['.repeat(101) + ']'.repeat(101))).toMatchObject({ line: 1, column: 101 })
    expect(textNestingProblem(`a:\n  b: ${'{x: '.repeat(101)}1${'}'.repeat(101)}`)).toMatchObject({ line: 2 })
  })

  it('does not count brackets in strings, comments or words', () => {
    const brackets = '['.repeat(500)
    expect(textNestingProblem(JSON.stringify({ regex: brackets, other: '\\"' + brackets }))).toBeUndefined()
    expect(textNestingProblem(`regex: "${brackets}"\nname: '${brackets}'\n# ${brackets}\nnote: it's ${'{'.repeat(3)}`)).toBeUndefined()
  })

  it('a 10,000-deep document is an error with its line, not a crash', () => {
    const loaded = loadConfig('{"static_resources": ' + '['.repeat(10_000) + ']'.repeat(10_000) + '}')
    expect(loaded.ok).toBe(false)
    expect(loaded.errors[0]).toMatchObject({ code: 'too_deep', line: 1 })
  })

  it('parsed values are bounded too (block-style YAML, admin JSON), without recursion', () => {
    expect(valueNestingProblem(deepValue(100))).toBeUndefined()
    expect(valueNestingProblem(deepValue(101))).toMatch(/deeper than 100/)
    expect(valueNestingProblem(deepValue(100_000))).toMatch(/deeper than 100/)
  })
})
