/**
 * A comparison for src/router/route-index.ts (whose own segment trie, over the
 * compiler's patterns, is now the narrowing index; Hono's TrieRouter is kept
 * for case-insensitive routes): a trie of path segments built from the compiled
 * routes themselves, no Hono. Its answers are checked against the linear scan
 * on the benchmark's requests only — it is not covered by the differential
 * property test (test/workers/routing-differential.test.ts), so it is not a
 * drop-in replacement as it stands.
 *
 * Each node stands for the path so far ("/api/v1/"). It holds the routes that
 * any longer path matches (`prefix: /api/v1/`), prefixes ending inside the
 * next segment keyed by that partial segment (`prefix: /api/v1/svc3` → "svc3"),
 * exact paths ending here, a child per literal segment, and one child for "any
 * one segment" (a regex class like `[0-9]+`). A lookup walks the request's
 * segments once, so its cost follows the path's depth, not the route count.
 * The candidates are a superset; Envoy's predicates still decide, in config
 * order, so the first match is Envoy's.
 */
import type { QueryParams, Route, VirtualHost } from '../src/compile/types.js'
import { linearIndex, routeMatches, type RouteIndex } from '../src/router/route-index.js'

interface SegNode {
  readonly children: Map<string, SegNode>
  param: SegNode | undefined
  readonly rest: number[]
  readonly exact: number[]
  readonly tails: Map<string, number[]>
  tailLengths: number[]
}

const node = (): SegNode => ({ children: new Map(), param: undefined, rest: [], exact: [], tails: new Map(), tailLengths: [] })
const PARAM = Symbol('one segment')
type Piece = string | typeof PARAM

/** Where a route sits in the trie: segments after the leading "/", and what ends there. */
type Placement = { segments: Piece[]; end: 'rest' | 'exact' | 'both' } | { segments: Piece[]; end: 'tail'; tail: string } | undefined

const LITERAL_SEGMENT = /^(?:[A-Za-z0-9_~%-]|\\[.\-_~])*$/
const ONE_SEGMENT = /^(?:\[(?!\^)[^\]/\\]*\]|\[\^\/\]|\\d|\\w)(?:\+|\{[1-9]\d*(?:,\d*)?\})$/

function placement(route: Route): Placement {
  const p = route.match.path
  if (!p.caseSensitive || !p.value.startsWith('/') || /[?#]/.test(p.value)) return undefined
  if (p.kind === 'prefix') {
    const k = p.value.lastIndexOf('/')
    const segments = k === 0 ? [] : p.value.slice(1, k).split('/')
    const tail = p.value.slice(k + 1)
    return tail === '' ? { segments, end: 'rest' } : { segments, end: 'tail', tail }
  }
  if (p.kind === 'path') return { segments: p.value.slice(1).split('/'), end: 'exact' }
  if (p.kind === 'path_separated_prefix') return { segments: p.value.slice(1).split('/'), end: 'both' }
  return regexPlacement(p.value)
}

/** A full-match regex on the path → segments it forces (literal or one-segment class), or undefined. */
function regexPlacement(source: string): Placement {
  let s = source.startsWith('^') ? source.slice(1) : source
  if (s.endsWith('$') && !s.endsWith('\\$')) s = s.slice(0, -1)
  if (!s.startsWith('/') || /[|()]/.test(s) || s.includes('[/')) return undefined
  const raw = s.slice(1).split('/')
  const segments: Piece[] = []
  for (const seg of raw) {
    // A quantified "/" would make the slash optional.
    if (/^[?*+{]/.test(seg) || /\[[^\]]*$/.test(seg)) return undefined
    if (LITERAL_SEGMENT.test(seg)) segments.push(seg.replace(/\\(.)/g, '$1'))
    else if (ONE_SEGMENT.test(seg)) segments.push(PARAM)
    else return segments.length === 0 ? undefined : { segments, end: 'rest' }
  }
  return { segments, end: 'exact' }
}

function insert(root: SegNode, where: NonNullable<Placement>, index: number): void {
  let n = root
  for (const seg of where.segments) {
    if (seg === PARAM) n = n.param ??= node()
    else {
      let c = n.children.get(seg)
      if (!c) n.children.set(seg, (c = node()))
      n = c
    }
  }
  if (where.end === 'tail') {
    let list = n.tails.get(where.tail)
    if (!list) {
      n.tails.set(where.tail, (list = []))
      if (!n.tailLengths.includes(where.tail.length)) n.tailLengths.push(where.tail.length)
    }
    list.push(index)
  } else {
    if (where.end !== 'exact') n.rest.push(index)
    if (where.end !== 'rest') n.exact.push(index)
  }
}

/** Every route whose placement the path reaches; `pos` is just after a "/". */
function collect(n: SegNode, path: string, pos: number, out: number[]): void {
  for (const i of n.rest) out.push(i)
  for (const len of n.tailLengths) {
    if (pos + len > path.length) continue
    const hit = n.tails.get(path.substr(pos, len))
    if (hit) for (const i of hit) out.push(i)
  }
  const next = path.indexOf('/', pos)
  const seg = next < 0 ? path.slice(pos) : path.slice(pos, next)
  const child = n.children.get(seg)
  if (child) next < 0 ? out.push(...child.exact) : collect(child, path, next + 1, out)
  if (n.param && seg !== '') next < 0 ? out.push(...n.param.exact) : collect(n.param, path, next + 1, out)
}

export function buildSegmentIndex(vhost: VirtualHost): RouteIndex {
  const routes = vhost.routes
  if (routes.length <= 8) return linearIndex(routes)
  const root = node()
  const always: number[] = []
  for (const r of routes) {
    const where = placement(r)
    if (where) insert(root, where, r.index)
    else always.push(r.index)
  }
  return {
    select(request, pathname, query) {
      const candidates: number[] = []
      if (pathname.startsWith('/')) collect(root, pathname, 1, candidates)
      for (const i of always) candidates.push(i)
      if (candidates.length > 1) candidates.sort((a, b) => a - b)
      let params: QueryParams | undefined = query
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
