/**
 * The health hub's answer as one D1 row (optional binding `EDGEVOY_DB`), so a
 * location's look reads a row instead of making a Durable Object request.
 *
 * Why D1 (bench/sim, BENCHMARKS.md "Config and health distribution"): D1
 * bills rows read ($0.001 per million) and rows written ($1.00 per million),
 * with no charge per query and none for duration; the hub's one row read by
 * primary key is one row read. A Durable Object request costs $0.15 per
 * million plus duration: 150× more for the same answer. At 100 req/s the
 * ~300 locations' looks were most of the distribution bill.
 * https://developers.cloudflare.com/d1/platform/pricing/
 *
 * The writer (the hub, src/state/health-authority.ts, through hub-row-writer.ts: only the
 * hub's core imports it, so it is not in the entry every isolate evaluates) writes the digest when
 * what isolates act on changes — a host's health flags, an override, the set
 * of clusters, the config version — at once, and otherwise rewrites it as a
 * heartbeat every HUB_ROW_HEARTBEAT_MS (the counters and `lastPassAt` are at
 * most that old). So while the row's heartbeat is recent the row says what
 * the hub would answer now; a reader trusts a row written within
 * HUB_ROW_LIVE_MS and otherwise — no binding, no table, no row, an old row (a
 * stopped or paused hub, D1 refusing writes), a failed query — asks the hub
 * exactly as without D1.
 */
import type { HealthDigest, HealthHub } from './authority.js'

/** The hub rewrites the row at least this often (rows written: 1 per heartbeat, $0.26 a month at 10 s). */
export const HUB_ROW_HEARTBEAT_MS = 10_000
/** A row older than this is a hub that stopped writing: read the hub instead. 2.5 heartbeats: a late alarm or one failed write is tolerated. */
export const HUB_ROW_LIVE_MS = 25_000
/** D1's largest row is 2,000,000 bytes; a digest above this is not written (readers ask the hub). https://developers.cloudflare.com/d1/platform/limits/ */
export const HUB_ROW_MAX_BYTES = 1_900_000

export const HUB_ROW_TABLE = 'edgevoy_hub'
/** One row read: a lookup by primary key. */
export const HUB_ROW_SELECT = `SELECT body, written_at FROM ${HUB_ROW_TABLE} WHERE id = 1`

/** The part of a D1 binding used here (D1Database satisfies it; bench/sim's model too). */
export type D1Like = Pick<D1Database, 'prepare'>

/** The reader's side: the hub's digest from the row when the row is live, else undefined (ask the hub). Never throws. */
export async function readHubRow(db: D1Like, now: () => number): Promise<HealthDigest | undefined> {
  try {
    const row = await db.prepare(HUB_ROW_SELECT).first<{ body: string | null; written_at: number }>()
    if (!row || typeof row.body !== 'string' || !(now() - row.written_at < HUB_ROW_LIVE_MS)) return undefined
    return JSON.parse(row.body) as HealthDigest
  } catch {
    // "no such table" (the hub has not written yet), a D1 hiccup: the hub answers instead.
    return undefined
  }
}

/**
 * The hub as isolates look at it: its digest from the D1 row when there is a
 * live one, else from the hub itself (one Durable Object request, as without
 * D1). The config authority's notices go to the hub itself.
 */
export function rowFirstHub(hub: () => HealthHub, db: D1Like | undefined, now: () => number): () => HealthHub {
  if (!db) return hub
  return () => ({
    digest: async () => (await readHubRow(db, now)) ?? hub().digest(),
    setConfigVersion: (version) => hub().setConfigVersion(version),
  })
}
