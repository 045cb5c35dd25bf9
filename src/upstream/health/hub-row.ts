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
 * The writer (the hub, src/state/health-authority.ts) writes the digest when
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
const CREATE = `CREATE TABLE IF NOT EXISTS ${HUB_ROW_TABLE} (id INTEGER PRIMARY KEY, body TEXT, written_at INTEGER NOT NULL)`
const UPSERT = `INSERT INTO ${HUB_ROW_TABLE} (id, body, written_at) VALUES (1, ?1, ?2) ON CONFLICT(id) DO UPDATE SET body = excluded.body, written_at = excluded.written_at`
/** One row read: a lookup by primary key. */
export const HUB_ROW_SELECT = `SELECT body, written_at FROM ${HUB_ROW_TABLE} WHERE id = 1`
const PAUSE = `UPDATE ${HUB_ROW_TABLE} SET written_at = 0 WHERE id = 1`

/** The part of a D1 binding used here (D1Database satisfies it; bench/sim's model too). */
export type D1Like = Pick<D1Database, 'prepare'>

/** What isolates act on: every host's flags and override, each cluster's hash, the config version. Counters and times are left out. */
export function rowKey(d: HealthDigest): string {
  const clusters = Object.values(d.reports)
    .map((r) => [r.cluster, r.hash, Object.entries(r.hosts).map(([a, h]) => [a, h.activeFailed, h.timedOut, h.immediateFail, h.override ?? null])])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0))
  return JSON.stringify([d.configVersion ?? null, clusters])
}

/** The hub's side: writes the digest on a change and as a heartbeat. */
export class HubRowWriter {
  #key: string | undefined
  #writtenAt = Number.NEGATIVE_INFINITY
  #table: Promise<unknown> | undefined

  constructor(readonly db: D1Like) {}

  /** When the next heartbeat is due (the hub arms its alarm no later). */
  get dueAt(): number {
    return this.#writtenAt + HUB_ROW_HEARTBEAT_MS
  }

  /** Writes `d` if what isolates act on changed or a heartbeat is due; true when it wrote. Throws what D1 throws (the next call retries). */
  async publish(d: HealthDigest): Promise<boolean> {
    const key = rowKey(d)
    if (key === this.#key && d.generatedAt < this.dueAt) return false
    const body = JSON.stringify(d)
    try {
      await (this.#table ??= this.db.prepare(CREATE).run())
      // Too big for a row: written without a body, so readers ask the hub at once.
      await this.db.prepare(UPSERT).bind(bytes(body) <= HUB_ROW_MAX_BYTES ? body : null, d.generatedAt).run()
    } catch (e) {
      // The table may be gone (a reset database): create it again next time.
      this.#table = undefined
      throw e
    }
    this.#key = key
    this.#writtenAt = d.generatedAt
    return true
  }

  /** The hub pauses its checks (nobody asked it for a long time): readers must ask it again, which resumes them. */
  async pause(): Promise<void> {
    this.#key = undefined
    this.#writtenAt = Number.NEGATIVE_INFINITY
    await this.db.prepare(PAUSE).run()
  }
}

/** UTF-8 length (D1's limit is in bytes); a quick bound first, as most digests are far below it. */
const bytes = (s: string) => (s.length * 3 <= HUB_ROW_MAX_BYTES ? s.length : new TextEncoder().encode(s).length)

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
