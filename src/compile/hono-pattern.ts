/**
 * Hono router patterns that narrow route candidates: each pattern matches a
 * *superset* of the paths its Envoy path predicate accepts (the predicate
 * still decides), or is undefined — the route is then tested on every
 * request. Conservative by design: anything not understood gives undefined.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routematch
 */

/**
 * Characters that are literal in Hono's TrieRouter patterns (case-insensitive
 * routes) and in the segment trie of src/router/route-index.ts (the others).
 */
const HONO_LITERAL = /^[A-Za-z0-9/_.~%-]*$/

/** Pattern for a `prefix`, `path` or `path_separated_prefix` value (already lowercased when the route folds case). */
export function literalPattern(kind: 'prefix' | 'path' | 'path_separated_prefix', value: string): string | undefined {
  if (!HONO_LITERAL.test(value) || !value.startsWith('/')) return undefined
  if (kind === 'prefix') return `${value}*`
  if (kind === 'path') return value
  return `${value}/*`
}

/** A regex segment that is plain text: letters, digits and `_ ~ % -`, or `\.` `\-` `\_` `\~`. */
const LITERAL_SEGMENT = /^(?:[A-Za-z0-9_~%-]|\\[.\-_~])+$/
/**
 * A regex segment that matches exactly one non-empty path segment: a class that
 * cannot contain "/" (ranges between letters/digits, or `[^/]`), `\d` or `\w`,
 * repeated at least once.
 */
const ONE_SEGMENT = /^(?:\[(?:[A-Za-z0-9](?:-[A-Za-z0-9])?|[_.~%])+\]|\[\^\/\]|\\d|\\w)(?:\+|\{[1-9]\d*(?:,\d*)?\})$/
/** Escapes this derivation understands; any other (`\Q`, `\p`, `\b`, …) gives up. */
const KNOWN_ESCAPES = /\\[^.\-_~dw/]/

/**
 * A Hono pattern for a full-match RE2 `safe_regex` on the path: literal
 * segments stay, a one-segment class becomes `:pN`, and the first segment that
 * is anything else ends the pattern with `/*` (the literal `/a/` before it is
 * still required). Groups, alternation, flags and quantified slashes give up.
 */
export function regexHonoPattern(source: string): string | undefined {
  let s = source
  if (s.startsWith('^')) s = s.slice(1)
  if (s.endsWith('$') && !s.endsWith('\\$')) s = s.slice(0, -1)
  if (!s.startsWith('/') || /[|()]/.test(s) || KNOWN_ESCAPES.test(s)) return undefined
  const segments = splitOnSlashes(s.slice(1))
  if (segments === undefined) return undefined
  const out: string[] = []
  let param = 0
  for (const seg of segments) {
    // A quantifier right after "/" makes that slash optional or repeated.
    if (/^[?*+{]/.test(seg)) return undefined
    if (LITERAL_SEGMENT.test(seg)) out.push(seg.replace(/\\(.)/g, '$1'))
    else if (ONE_SEGMENT.test(seg)) out.push(`:p${param++}`)
    else return out.length === 0 ? undefined : `/${out.join('/')}/*`
  }
  return `/${out.join('/')}`
}

/** Split on unescaped "/" outside character classes; undefined for an unterminated class or a trailing "\". */
function splitOnSlashes(s: string): string[] | undefined {
  const parts: string[] = []
  let cur = ''
  let inClass = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '\\') {
      if (i + 1 >= s.length) return undefined
      cur += c + s[++i]!
    } else if (inClass) {
      cur += c
      if (c === ']') inClass = false
    } else if (c === '[') {
      inClass = true
      cur += c
    } else if (c === '/') {
      parts.push(cur)
      cur = ''
    } else cur += c
  }
  if (inClass) return undefined
  parts.push(cur)
  return parts
}
