/**
 * A prototype of the route index the benchmark proposes for
 * src/router/route-index.ts (+ src/compile/match.ts), measured side by side
 * with the shipped one. Two changes:
 *
 * 1. Hono's TrieRouter instead of SmartRouter. SmartRouter picks
 *    RegExpRouter, which compiles every pattern into one alternation: seconds
 *    to build at thousands of routes, and tens of µs per match. The trie
 *    builds in tens of ms and matches in ~1 µs, whatever the route count.
 * 2. safe_regex routes get a Hono pattern too, derived from the regex
 *    (literal segments stay, a one-segment class like `[0-9]+` becomes a
 *    `:param`, anything else ends the pattern with `*`), so they stop being
 *    "always a candidate" that every request tests.
 *
 * The answers are checked against the linear scan on every request.
 */
import type { Router } from 'hono/router'
import { TrieRouter } from 'hono/router/trie-router'
import type { PathPredicate, VirtualHost } from '../src/compile/types.js'
import { linearIndex, routeMatches, type RouteIndex } from '../src/router/route-index.js'

const LITERAL = /^(?:[A-Za-z0-9_~%-]|\\[.\-_~])+$/
/** One segment's worth of characters, at least one: a class without "/" (or a \d, \w) with a ≥1 quantifier. */
const ONE_SEGMENT = /^(?:\[(?!\^)[^\]/\\]*\]|\[\^\/\]|\\d|\\w)(?:\+|\{[1-9]\d*(?:,\d*)?\})$/

/** A Hono pattern matching a superset of what a full-match regex on the path accepts, or undefined. */
export function regexHonoPattern(source: string): string | undefined {
  let s = source
  if (s.startsWith('^')) s = s.slice(1)
  if (s.endsWith('$') && !s.endsWith('\\$')) s = s.slice(0, -1)
  if (!s.startsWith('/') || /[|()]/.test(s)) return undefined
  const segments = splitTopLevel(s.slice(1))
  if (segments === undefined) return undefined
  const out: string[] = []
  let param = 0
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!
    // A quantifier on the "/" before this segment makes the slash optional: give up.
    if (/^[?*+{]/.test(seg)) return undefined
    if (LITERAL.test(seg)) out.push(seg.replace(/\\(.)/g, '$1'))
    else if (ONE_SEGMENT.test(seg)) out.push(`:p${param++}`)
    else return out.length === 0 ? undefined : `/${out.join('/')}/*`
  }
  return `/${out.join('/')}`
}

/** Split on "/" outside character classes; undefined if a "/" is escaped or quantified oddly. */
function splitTopLevel(s: string): string[] | undefined {
  const parts: string[] = []
  let cur = ''
  let inClass = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '\\') {
      cur += c + (s[i + 1] ?? '')
      i++
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

const patternOf = (p: PathPredicate): string | undefined =>
  p.honoPattern ?? (p.kind === 'safe_regex' && p.caseSensitive ? regexHonoPattern(p.value) : undefined)

export function buildRouteIndexProposed(vhost: VirtualHost): RouteIndex {
  const routes = vhost.routes
  if (routes.length <= 8) return linearIndex(routes)
  const router: Router<number> = new TrieRouter()
  const always: number[] = []
  for (const r of routes) {
    const pattern = patternOf(r.match.path)
    if (pattern === undefined) always.push(r.index)
    else router.add('ALL', pattern, r.index)
  }
  router.match('GET', '/')
  return {
    select(request, pathname, query) {
      const [found] = router.match('GET', pathname)
      const candidates: number[] = []
      for (const f of found as [number, unknown][]) candidates.push(f[0])
      for (const i of always) candidates.push(i)
      if (candidates.length > 1) candidates.sort((a, b) => a - b)
      let params: URLSearchParams | undefined = query
      const q = () => {
        const at = request.path.indexOf('?')
        return (params ??= new URLSearchParams(at < 0 ? '' : request.path.slice(at + 1)))
      }
      for (const i of candidates) {
        const r = routes[i]!
        if (routeMatches(r, request, q)) return r
      }
      return undefined
    },
  }
}
