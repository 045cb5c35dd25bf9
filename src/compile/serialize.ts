/**
 * The control plane's side of the snapshot contract: the IR → its encoded
 * form (route tables as columns, shared values in pools: src/compile/ir.ts
 * RouteColumnsIR) → compact JSON text in a versioned envelope, with the
 * source config's hash and the compiler version. `loadSnapshot`
 * (src/snapshot/load.ts) reads it back without zod or YAML; compileConfig
 * links the same encoded form in memory, so both run one linker.
 */
import { COMPILER_VERSION, SNAPSHOT_FORMAT } from '../snapshot/format.js'
import { sourceOf, type EncodedSnapshot } from '../snapshot/link.js'
import { routePattern } from '../snapshot/matchers.js'
import {
  ROUTE_PATH_KINDS, type EncodedSnapshotIR, type RegexIR, type RouteActionIR, type RouteColumnsIR, type RouteExtrasIR, type RouteIR, type RouteMatchExtrasIR, type SnapshotIR,
} from './ir.js'
import type { Snapshot } from './types.js'

export { COMPILER_VERSION, SNAPSHOT_FORMAT }

/** The serialized form of a snapshot built by compileConfig (or loaded by loadSnapshot). */
export function serializeSnapshot(snapshot: Snapshot): string {
  const source = sourceOf(snapshot)
  if (source === undefined) throw new Error('serializeSnapshot: this snapshot was not built by compileConfig or loadSnapshot')
  // Loaded from serialized text: that text is its serialized form.
  return typeof source === 'string' ? source : JSON.stringify(source)
}

/** Distinct values by their JSON text, in order of first use. */
class Pool<T> {
  readonly items: T[] = []
  private readonly byText = new Map<string, number>()
  add(value: T): number {
    const text = JSON.stringify(value)
    let i = this.byText.get(text)
    if (i === undefined) this.byText.set(text, (i = this.items.push(value) - 1))
    return i
  }
}

interface Pools {
  readonly actions: Pool<RouteActionIR>
  readonly regexes: Pool<RegexIR>
  readonly matches: Pool<RouteMatchExtrasIR>
  readonly extras: Pool<RouteExtrasIR>
}

/** The IR in the envelope, each virtual host's routes as columns and what they share pooled. */
export function encodeSnapshot(ir: SnapshotIR): EncodedSnapshot {
  const pools: Pools = { actions: new Pool(), regexes: new Pool(), matches: new Pool(), extras: new Pool() }
  const snapshot: EncodedSnapshotIR = {
    ...ir,
    listeners: ir.listeners.map((l) => ({
      ...l,
      routeTable: { ...l.routeTable, virtualHosts: l.routeTable.virtualHosts.map((vh) => ({ ...vh, routes: encodeRoutes(vh.routes, pools) })) },
    })),
  }
  const { regexes, matches, extras } = pools
  return {
    format: SNAPSHOT_FORMAT,
    compilerVersion: COMPILER_VERSION,
    sourceHash: ir.hash,
    snapshot,
    actions: pools.actions.items,
    ...(regexes.items.length ? { regexes: regexes.items } : {}),
    ...(matches.items.length ? { matches: matches.items } : {}),
    ...(extras.items.length ? { extras: extras.items } : {}),
  }
}

/** Only the fields that are set: JSON drops undefined ones, so the pool's key must too. */
function defined<T extends object>(o: T): T | undefined {
  const out: Record<string, unknown> = {}
  let any = false
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) {
      out[k] = v
      any = true
    }
  return any ? (out as T) : undefined
}

function encodeRoutes(routes: readonly RouteIR[], pools: Pools): RouteColumnsIR {
  const path: string[] = [], flags: number[] = [], action: number[] = []
  const name: (string | 0)[] = [], pattern: (string | 0 | null)[] = [], regex: number[] = [], match: number[] = [], extras: number[] = []
  const used = { name: false, pattern: false, regex: false, match: false, extras: false }
  routes.forEach((r, i) => {
    const p = r.match.path
    const fold = p.honoFoldCase === true
    path.push(p.value)
    flags.push(ROUTE_PATH_KINDS.indexOf(p.kind) | (p.caseSensitive === false ? 4 : 0) | (fold ? 8 : 0))
    action.push(pools.actions.add(r.action))
    const own = r.name === `#${i}` ? 0 : r.name
    name.push(own)
    used.name ||= own !== 0
    const pat = p.honoPattern === undefined ? null : p.honoPattern === routePattern(p.kind, p.value, fold) ? 0 : p.honoPattern
    pattern.push(pat)
    used.pattern ||= pat !== 0
    const rx = p.regex ? 1 + pools.regexes.add(p.regex) : 0
    regex.push(rx)
    used.regex ||= rx !== 0
    const { path: _, ...rest } = r.match
    const m = defined(rest)
    match.push(m ? 1 + pools.matches.add(m) : 0)
    used.match ||= m !== undefined
    const x = defined({ requestHeaders: r.requestHeaders, responseHeaders: r.responseHeaders, cors: r.cors, filterOverrides: r.filterOverrides })
    extras.push(x ? 1 + pools.extras.add(x) : 0)
    used.extras ||= x !== undefined
  })
  return {
    path,
    flags,
    action,
    ...(used.name ? { name } : {}),
    ...(used.pattern ? { pattern } : {}),
    ...(used.regex ? { regex } : {}),
    ...(used.match ? { match } : {}),
    ...(used.extras ? { extras } : {}),
  }
}
