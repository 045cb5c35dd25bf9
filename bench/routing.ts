/**
 * Routing: edgevoy's compiled router (virtual-host map + Hono-narrowed route
 * index) against Envoy's first-match linear scan over the same compiled
 * routes, on the same request mix. Every timed decision is checked against
 * the linear scan's answer.
 */
import type { MatchRequest, Route, RouteTable, VirtualHost } from '../src/compile/types.js'
import { compileConfig } from '../src/compile/index.js'
import { stripQuery } from '../src/snapshot/matchers.js'
import { compileRe2FullMatch } from '../src/config/re2.js'
import { validateConfig } from '../src/config/load.js'
import { buildRouteIndex, linearIndex, loadRouteIndex, type RouteIndex } from '../src/router/route-index.js'
import { generateConfig, type BenchRequest } from './gen-config.js'
import { logLogSlope, summarize } from './stats.js'

// The index of a virtual host with more than 8 routes is imported on demand (router/route-index.ts), as a serving isolate does.
await loadRouteIndex()

export const ROUTE_COUNTS = [10, 100, 1000, 10000] as const

interface Prepared {
  readonly kind: BenchRequest['kind']
  readonly match: MatchRequest
  readonly pathname: string
}

export type IndexBuilder = (vh: VirtualHost) => RouteIndex

export interface ImplResult {
  medianNs: number
  p99Ns: number
  meanNs: number
  samples: number
  byKind: Record<string, number>
}

export interface RoutingCase {
  routes: number
  virtualHosts: number
  requests: number
  buildMs: Record<string, number>
  impls: Record<string, ImplResult>
}

function prepare(r: BenchRequest): Prepared {
  const headers = new Headers()
  for (const [k, v] of Object.entries(r.headers)) if (!k.startsWith(':')) headers.set(k, v)
  const q = r.path.indexOf('?')
  return {
    kind: r.kind,
    match: { headers, method: r.headers[':method'] ?? 'GET', authority: r.authority, path: r.path, scheme: 'http' },
    pathname: q < 0 ? r.path : r.path.slice(0, q),
  }
}

type Decide = (p: Prepared) => Route | undefined

function decider(table: RouteTable, build: IndexBuilder): { decide: Decide; buildMs: number } {
  const t = performance.now()
  const indexes = new Map<string, RouteIndex>()
  for (const vh of table.virtualHosts) indexes.set(vh.name, build(vh))
  const buildMs = performance.now() - t
  return {
    buildMs,
    decide: (p) => {
      const vh = table.findVirtualHost(p.match.authority)
      return vh ? indexes.get(vh.name)!.select(p.match, p.pathname, undefined) : undefined
    },
  }
}

interface Timed {
  readonly decide: Decide
  readonly batch: number
  readonly samples: number[]
  readonly byKind: Record<string, number[]>
}

/** Warm up, then pick a batch size so one timed sample lasts ~5 µs and the timer's cost stays small. */
function calibrate(decide: Decide, mix: readonly Prepared[]): Timed {
  const t0 = process.hrtime.bigint()
  for (let r = 0; r < 3; r++) for (const p of mix) decide(p)
  const avgNs = Number(process.hrtime.bigint() - t0) / (3 * mix.length)
  return { decide, batch: Math.max(1, Math.min(256, Math.ceil(5000 / Math.max(avgNs, 1)))), samples: [], byKind: {} }
}

/** One pass over the mix; each sample is one request repeated `batch` times. Returns wrong answers seen. */
function pass(t: Timed, mix: readonly Prepared[], expected: readonly (Route | undefined)[]): number {
  let wrong = 0
  for (let i = 0; i < mix.length; i++) {
    const p = mix[i]!
    let got: Route | undefined
    const s = process.hrtime.bigint()
    for (let b = 0; b < t.batch; b++) got = t.decide(p)
    const ns = Number(process.hrtime.bigint() - s) / t.batch
    if (got !== expected[i]) wrong++
    t.samples.push(ns)
    ;(t.byKind[p.kind] ??= []).push(ns)
  }
  return wrong
}

function result(t: Timed): ImplResult {
  const s = summarize(t.samples)
  return {
    medianNs: s.median,
    p99Ns: s.p99,
    meanNs: s.mean,
    samples: s.n,
    byKind: Object.fromEntries(Object.entries(t.byKind).map(([k, v]) => [k, summarize(v).median])),
  }
}

export function runRoutingCase(routes: number, impls: Record<string, IndexBuilder>, budgetMs: number): RoutingCase {
  const g = generateConfig(routes)
  const loaded = validateConfig(JSON.parse(g.text))
  if (!loaded.ok) throw new Error(`generated config is invalid: ${loaded.errors[0]?.message}`)
  const table = compileConfig(loaded.config).listeners[0]!.routeTable
  const mix = g.requests.map(prepare)
  const reference = decider(table, (vh) => linearIndex(vh.routes))
  const expected = mix.map(reference.decide)
  const out: RoutingCase = { routes: g.routes, virtualHosts: g.virtualHosts, requests: mix.length, buildMs: {}, impls: {} }
  const timed = new Map<string, Timed>()
  for (const [name, build] of Object.entries(impls)) {
    const d = decider(table, build)
    out.buildMs[name] = d.buildMs
    // Every request of the mix, untimed, before timing: identical answers or no numbers.
    const wrong = mix.findIndex((p, i) => d.decide(p) !== expected[i])
    if (wrong >= 0) {
      const p = mix[wrong]!
      throw new Error(`${name} routes ${p.match.authority}${p.match.path} to ${d.decide(p)?.name} but the linear scan says ${expected[wrong]?.name}`)
    }
    timed.set(name, calibrate(d.decide, mix))
  }
  // Implementations take turns, pass by pass, so machine noise falls on all of them alike.
  const deadline = performance.now() + budgetMs * timed.size
  for (let round = 0; round < 100_000 && (round < 2 || performance.now() < deadline); round++)
    for (const [name, t] of timed) if (pass(t, mix, expected) > 0) throw new Error(`${name}: routing answers differ from the linear scan`)
  for (const [name, t] of timed) out.impls[name] = result(t)
  return out
}

export const DEFAULT_IMPLS: Record<string, IndexBuilder> = {
  edgevoy: buildRouteIndex,
  linear: (vh) => linearIndex(vh.routes),
}

/**
 * "Before" the linear-time regex engine: the same index over routes whose
 * safe_regex path predicate is V8's backtracking RegExp on the RE2 → JS
 * translation, as edgevoy matched until then. Answers map back to the
 * original Route objects (one Map lookup, also timed), so they are checked
 * against the linear scan like every other implementation's.
 */
export function withBacktrackingRegex(build: IndexBuilder): IndexBuilder {
  return (vh) => {
    const original = new Map<Route, Route>()
    const routes = vh.routes.map((r) => {
      if (r.match.path.kind !== 'safe_regex') return r
      const old = compileRe2FullMatch(r.match.path.value)
      if (!old.ok) throw new Error(old.message)
      const re = old.regex
      // honoPattern is computed by the loaded path (src/snapshot/matchers.ts): a spread would drop it.
      const copy: Route = { ...r, match: { ...r.match, path: { ...r.match.path, honoPattern: r.match.path.honoPattern, test: (path: string) => re.test(stripQuery(path)) } } }
      original.set(copy, r)
      return copy
    })
    const index = build({ ...vh, routes })
    return {
      select: (m, p, q) => {
        const r = index.select(m, p, q)
        return r && (original.get(r) ?? r)
      },
    }
  }
}

export function routingSlopes(cases: readonly RoutingCase[]): Record<string, number> {
  const names = Object.keys(cases[0]?.impls ?? {})
  return Object.fromEntries(names.map((n) => [n, logLogSlope(cases.map((c) => [c.routes, c.impls[n]!.medianNs] as const))]))
}
