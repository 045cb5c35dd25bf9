/**
 * The data plane's side of the snapshot contract: serialized text → the
 * runtime Snapshot, with no YAML, no zod and no schema — only JSON.parse and
 * link(). A snapshot written by another compiler (or not a snapshot at all)
 * is refused with `snapshot_incompatible`, and whoever holds the current
 * snapshot keeps serving it.
 */
import type { RouteColumnsIR } from '../compile/ir.js'
import type { Snapshot } from '../compile/types.js'
import { ProxyError } from '../errors.js'
import { COMPILER_VERSION, SNAPSHOT_FORMAT } from './format.js'
import { loadFilterLinkers, needsFilterLinkers } from './filters.js'
import { linkSnapshot, type EncodedSnapshot } from './link.js'
import { loadMatchLinkers, needsMatchLinkers } from './matchers.js'
import { holdsRegex } from './regex.js'
import { loadRegexEngine } from '../regex/index.js'

const refuse = (message: string) => new ProxyError('snapshot_incompatible', { message })

/** Check the envelope of serialized snapshot text and return it, or throw `snapshot_incompatible`. */
export function readEnvelope(text: string): EncodedSnapshot {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw refuse(`not a serialized edgevoy snapshot: ${e instanceof Error ? e.message : String(e)}`)
  }
  const env = doc as Partial<EncodedSnapshot> | null
  if (env === null || typeof env !== 'object' || env.format !== SNAPSHOT_FORMAT)
    throw refuse(`not a serialized edgevoy snapshot (format ${JSON.stringify(env && typeof env === 'object' ? env.format : undefined)}, expected "${SNAPSHOT_FORMAT}")`)
  if (env.compilerVersion !== COMPILER_VERSION)
    throw refuse(
      `snapshot written by compiler ${JSON.stringify(env.compilerVersion)}, this data plane loads only "${COMPILER_VERSION}": ` +
        'rebuild it from its source config with this version (edgevoy build)',
    )
  const ir = env.snapshot
  if (ir === null || typeof ir !== 'object' || !Array.isArray(ir.listeners) || !Array.isArray(ir.clusters) || !Array.isArray(env.actions))
    throw refuse('serialized snapshot has no listeners/clusters/actions')
  for (const l of ir.listeners) for (const vh of l.routeTable.virtualHosts) checkColumns(vh.name, vh.routes, env as EncodedSnapshot)
  return env as EncodedSnapshot
}

/**
 * A virtual host's route columns are as long as each other and name only
 * pool entries the snapshot has: the linker then reads them without checks.
 * (Plain functions, no closures per virtual host: bundlers that keep names pay a defineProperty per closure.)
 */
function checkColumns(vhost: string, cols: RouteColumnsIR, env: EncodedSnapshot): void {
  if (cols === null || typeof cols !== 'object' || !Array.isArray(cols.path)) throw badColumns(vhost, 'routes are not route columns')
  const n = cols.path.length
  checkLength(vhost, cols.flags, n, 'flags', false)
  checkLength(vhost, cols.name, n, 'name', true)
  checkLength(vhost, cols.pattern, n, 'pattern', true)
  checkPool(vhost, cols.action, n, env.actions, 'action', 0)
  checkPool(vhost, cols.regex, n, env.regexes, 'regex', 1)
  checkPool(vhost, cols.match, n, env.matches, 'match', 1)
  checkPool(vhost, cols.extras, n, env.extras, 'extras', 1)
  // A safe_regex path (kind 2) runs its regex.
  for (let i = 0; i < n; i++) if ((cols.flags[i]! & 3) === 2 && !cols.regex?.[i]) throw badColumns(vhost, `route ${i} is a safe_regex path without a regex`)
}

const badColumns = (vhost: string, what: string) => refuse(`serialized snapshot: virtual host ${JSON.stringify(vhost)}: ${what}`)

function checkLength(vhost: string, c: readonly unknown[] | undefined, n: number, what: string, optional: boolean): void {
  if (c === undefined ? !optional : !Array.isArray(c) || c.length !== n) throw badColumns(vhost, `route column ${what} does not have one entry per route`)
}

/** `base` 1: the column holds 1 + an index, 0 for none (and may be absent); 0: an index, always there. */
function checkPool(vhost: string, c: readonly number[] | undefined, n: number, pool: readonly unknown[] | undefined, what: string, base: 0 | 1): void {
  checkLength(vhost, c, n, what, base === 1)
  if (c === undefined) return
  const size = pool?.length ?? 0
  for (let i = 0; i < n; i++) {
    const k = c[i]!
    if (!Number.isInteger(k) || k < 0 || k - base >= size) throw badColumns(vhost, `route ${i} names ${what} ${JSON.stringify(k)}, which the snapshot does not have`)
  }
}

/**
 * Serialized text → the runtime Snapshot, or throws ProxyError
 * `snapshot_incompatible`. Links synchronously: what linking needs beyond the
 * entry (the filter config linkers, for a snapshot whose filters have
 * configs: snapshot/filters.ts; the header, query-parameter, cookie and
 * string matcher linkers, for one that has such matchers or a CORS policy:
 * snapshot/matchers.ts; the regex engine, whose Re2Regex a linked regex is,
 * for one that holds a regex) must already be imported — `readySnapshot` does both.
 */
export function loadSnapshot(text: string): Snapshot {
  return linkSnapshot(readEnvelope(text), text)
}

/** `loadSnapshot(text)`, once what linking `text` needs beyond the entry is imported. */
export async function readySnapshot(text: string): Promise<Snapshot> {
  await Promise.all([needsFilterLinkers(text) ? loadFilterLinkers() : undefined, needsMatchLinkers(text) ? loadMatchLinkers() : undefined, holdsRegex(text) ? loadRegexEngine() : undefined])
  return loadSnapshot(text)
}
