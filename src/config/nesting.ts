/**
 * A bound on how deeply a config may nest, checked before anything recursive
 * (parsers, v2→v3 normalization, the schemas) walks it: 10,000 nested arrays
 * must be a clear error, not a stack overflow answered as a 500.
 *
 * 100 is protobuf's default recursion limit for parsing (Envoy's configs are
 * protos), far above any real Envoy config (~25 levels).
 * https://protobuf.dev/reference/cpp/api-docs/google.protobuf.io.coded_stream/ (SetRecursionLimit, default 100)
 */
export const MAX_CONFIG_DEPTH = 100

export interface NestingProblem {
  readonly message: string
  readonly line: number
  readonly column: number
}

const tooDeep = (max: number) => `the config nests deeper than ${max} levels`

/**
 * One linear pass over JSON or YAML text counting open `[`/`{` outside quoted
 * strings and `#` comments. YAML block nesting needs indentation that grows with
 * depth, so the size limit on bodies bounds it; `valueNestingProblem` checks
 * the parsed value as well.
 */
export function textNestingProblem(text: string, max = MAX_CONFIG_DEPTH): NestingProblem | undefined {
  let depth = 0
  let line = 1
  let lineStart = 0
  let prev = 10 // the last character outside strings and blanks: a newline to begin with
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) {
      line++
      lineStart = i + 1
      prev = 10
      continue
    }
    if (c === 32 || c === 9 || c === 13) continue
    if (c === 34) {
      // "…" with backslash escapes (JSON, YAML double-quoted).
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) {
        if (text.charCodeAt(i) === 92) i++
        else if (text.charCodeAt(i) === 10) (line++, (lineStart = i + 1))
      }
    } else if (c === 39 && (prev === 10 || prev === 91 || prev === 123 || prev === 44 || prev === 58 || prev === 45 || prev === 63)) {
      // YAML '…' ('' escapes a quote), only where a scalar may start: not the apostrophe in "don't".
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 39 && text.charCodeAt(i + 1) === 39) i++
        else if (d === 39) break
        else if (d === 10) (line++, (lineStart = i + 1))
      }
    } else if (c === 35 && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i + 1 < text.length && text.charCodeAt(i + 1) !== 10) i++
      continue
    } else if (c === 91 || c === 123) {
      if (++depth > max) return { message: tooDeep(max), line, column: i - lineStart + 1 }
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--
    }
    prev = c
  }
  return undefined
}

/** Whether a parsed value nests deeper than `max` (an explicit stack: no recursion). */
export function valueNestingProblem(value: unknown, max = MAX_CONFIG_DEPTH): string | undefined {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length) {
    const [v, d] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (d + 1 > max) return tooDeep(max)
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, d + 1])
  }
  return undefined
}
