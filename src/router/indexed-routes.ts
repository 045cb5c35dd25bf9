/**
 * The route index for a virtual host with more than a few routes
 * (route-index.ts buildRouteIndex): in a chunk of its own, imported where a
 * snapshot whose listener has such a virtual host is made ready to serve
 * (state/serving.ts), never per request. The answer is always the scan's
 * (linearIndex): the first route in config order whose predicates all hold.
 */
import type { Router } from 'hono/router'
import { TrieRouter } from 'hono/router/trie-router'
import type { VirtualHost } from '../compile/types.js'
import { PathMatcher } from '../snapshot/matchers.js'
import { LazyQuery, matches, type RouteIndex } from './route-index.js'

type Found = readonly (readonly [number, unknown])[]

/**
 * Narrowing by path. Literal patterns (no `:param`) are looked up whole: a
 * path pattern (`/static/a/index.html`) in a Map by the path itself, a `/*`
 * pattern (`/api/v1/a/*`) in a Map by what precedes its `/*`, probed once
 * per distinct key length at which the request path has a `/` (or ends).
 * Patterns with a `:param` (from safe_regex paths) go in a trie of path
 * segments (below); the case-insensitive ones in Hono's TrieRouter (fed the
 * lowercased path); prefixes that end mid-segment (`/v2/svc6` also matches
 * `/v2/svc67`) in a table keyed by the prefix itself, probed once per
 * distinct prefix length. Each answers a superset of the routes that can
 * match; candidates are tested in config order, and the first match ends the
 * work. Building costs a Map entry per literal route (a trie of every
 * pattern's segments cost a node, a slice and a Map probe per segment: half
 * of what a 10,000-route snapshot allocated to load; Hono's TrieRouter took
 * ~10× longer again, RegExpRouter seconds).
 */
export function indexedRoutes(vhost: VirtualHost): RouteIndex {
  const routes = vhost.routes
  const paths: Table = new Map()
  const under: Table = new Map()
  let params: SegmentNode | undefined
  let folded: Router<number> | undefined
  const partial: Table = new Map()
  const alwaysList: number[] = []
  for (const r of routes) {
    const path = r.match.path
    if (path instanceof PathMatcher && path.derivedPattern && !path.honoFoldCase) {
      // The same tables as below, filed by the value itself (routePattern: prefix `v*`, path `v`, path_separated_prefix `v/*`).
      const v = path.value
      if (path.kind === 'path') add(paths, v, r.index)
      else if (path.kind === 'path_separated_prefix') add(under, v, r.index)
      else if (v.endsWith('/')) add(under, v.slice(0, -1), r.index)
      else add(partial, v, r.index)
      continue
    }
    const { honoPattern, honoFoldCase, kind, value } = path
    if (honoPattern === undefined) alwaysList.push(r.index)
    else if (honoFoldCase) (folded ??= new TrieRouter()).add('ALL', honoPattern, r.index)
    else if (kind === 'prefix' && !value.endsWith('/')) add(partial, value, r.index)
    // Hono-literal patterns hold no ":" (src/compile/hono-pattern.ts): a ":" starts a parameter.
    else if (honoPattern.includes(':')) (params ??= new SegmentNode()).insert(honoPattern, r.index)
    else if (honoPattern.endsWith('/*')) add(under, honoPattern.slice(0, -2), r.index)
    else add(paths, honoPattern, r.index)
  }
  const underLengths = lengthsOf(under)
  const partialLengths = lengthsOf(partial)
  const always = Int32Array.from(alwaysList)
  return {
    select(request, pathname, query) {
      const cand: number[] = []
      push(cand, paths.get(pathname))
      for (let l = 0; l < underLengths.length && underLengths[l]! <= pathname.length; l++) {
        const len = underLengths[l]!
        // `/a/b/*` holds `/a/b` and what is under `/a/b/`; `/*` (the key "") every path.
        push(cand, len === pathname.length ? under.get(pathname) : len === 0 || pathname.charCodeAt(len) === 47 /* / */ ? under.get(pathname.slice(0, len)) : undefined)
      }
      if (params) params.collect(pathname, 1, cand)
      if (folded) collect(cand, folded.match('GET', pathname.toLowerCase())[0] as Found)
      for (let l = 0; l < partialLengths.length && partialLengths[l]! <= pathname.length; l++) {
        push(cand, partial.get(pathname.slice(0, partialLengths[l])))
      }
      // Only the few narrowed candidates are ever sorted, when the sources interleave; `always` is sorted once, at build.
      if (!isAscending(cand, 0)) cand.sort(ascending)
      const q = new LazyQuery(request.path, query)
      let i = 0, k = 0, last = -1
      for (;;) {
        const fromCand = i < cand.length && (k >= always.length || cand[i]! <= always[k]!)
        if (!fromCand && k >= always.length) return undefined
        const next = fromCand ? cand[i++]! : always[k++]!
        if (next === last) continue
        last = next
        const r = routes[next]!
        if (matches(r, request, q)) return r
      }
    },
  }
}

/** Routes by key: one route (most keys) as its index, several as a list — no array per route. */
type Table = Map<string, number | number[]>

function add(table: Table, key: string, index: number): void {
  const hit = table.get(key)
  if (hit === undefined) table.set(key, index)
  else if (typeof hit === 'number') table.set(key, [hit, index])
  else hit.push(index)
}

function push(out: number[], hit: number | readonly number[] | undefined): void {
  if (hit === undefined) return
  if (typeof hit === 'number') out.push(hit)
  else for (const i of hit) out.push(i)
}

/** The distinct key lengths, ascending. */
const lengthsOf = (table: ReadonlyMap<string, unknown>): Int32Array => {
  const lengths = new Set<number>()
  for (const k of table.keys()) lengths.add(k.length)
  return Int32Array.from(lengths).sort()
}

/**
 * One node of the segment trie: the path so far ("/api/v1"). The patterns
 * are the compiler's (src/compile/hono-pattern.ts): literal segments, `:pN`
 * for one non-empty segment, and a final `*` for anything after (also
 * nothing: `/a/*` holds `/a`, as in Hono). A lookup walks the request path's
 * segments once: its cost follows the path's depth, not the route count.
 */
class SegmentNode {
  /**
   * The children by segment. Most nodes of a large table have one child
   * (`/static/svc2` → `index.html`): it is kept in `only`/`onlyNode`, and a
   * Map is made for the second — a Map per node was most of the index's heap.
   */
  children: Map<string, SegmentNode> | undefined
  only: string | undefined
  onlyNode: SegmentNode | undefined
  param: SegmentNode | undefined
  /** Routes any path that reaches this node may take (a final `*`). */
  rest: number[] | undefined
  /** Routes whose pattern ends here. */
  end: number[] | undefined

  insert(pattern: string, index: number): void {
    let n: SegmentNode = this
    // Segments after the leading "/" (a pattern always starts with one).
    let from = 1
    for (;;) {
      const slash = pattern.indexOf('/', from)
      const seg = slash < 0 ? pattern.slice(from) : pattern.slice(from, slash)
      if (seg === '*' && slash < 0) {
        ;(n.rest ??= []).push(index)
        return
      }
      n = seg.charCodeAt(0) === 58 /* : */ ? (n.param ??= new SegmentNode()) : n.child(seg)
      if (slash < 0) {
        ;(n.end ??= []).push(index)
        return
      }
      from = slash + 1
    }
  }

  /** The child for `seg`, made if there is none. */
  private child(seg: string): SegmentNode {
    if (this.only === undefined) {
      this.only = seg
      return (this.onlyNode = new SegmentNode())
    }
    if (this.only === seg) return this.onlyNode!
    const children = (this.children ??= new Map([[this.only, this.onlyNode!]]))
    let c = children.get(seg)
    if (!c) children.set(seg, (c = new SegmentNode()))
    return c
  }

  /** Every route whose pattern the path (from `pos`, just after a "/") reaches, appended to `out`. */
  collect(path: string, pos: number, out: number[]): void {
    if (this.rest) for (const i of this.rest) out.push(i)
    if (pos > path.length) {
      // The path ended at this node ("/a" against "/a/*").
      return
    }
    const slash = path.indexOf('/', pos)
    const seg = slash < 0 ? path.slice(pos) : path.slice(pos, slash)
    const child = this.children !== undefined ? this.children.get(seg) : this.only === seg ? this.onlyNode : undefined
    if (child) child.step(path, slash, out)
    if (this.param && seg !== '') this.param.step(path, slash, out)
  }

  private step(path: string, slash: number, out: number[]): void {
    if (slash < 0) {
      if (this.end) for (const i of this.end) out.push(i)
      // "/a/b" reaches the `*` of "/a/b/*".
      if (this.rest) for (const i of this.rest) out.push(i)
    } else this.collect(path, slash + 1, out)
  }
}

const isAscending = (xs: readonly number[], from: number): boolean => {
  for (let i = from + 1; i < xs.length; i++) if (xs[i]! < xs[i - 1]!) return false
  return true
}

const ascending = (x: number, y: number) => x - y

/** Append Hono's answers to `into` (in whatever order TrieRouter gives them: select sorts what is not ascending). */
function collect(into: number[], found: Found): void {
  for (let i = 0; i < found.length; i++) into.push(found[i]![0])
}
