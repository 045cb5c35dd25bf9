/**
 * A published config version as D1 rows (optional binding `EDGEVOY_DB`), so
 * a location that learns of a new version (from the hub's row,
 * upstream/health/hub-row.ts) reads it as a few rows instead of a KV read:
 * rows read cost $0.001 per million, a KV read $0.50 per million; at 100 req/s
 * over ~300 locations, reading KV once per location per change was most of
 * what a config change cost (bench/sim, BENCHMARKS.md).
 * https://developers.cloudflare.com/d1/platform/pricing/
 *
 * KV stays the durable source: the config authority writes KV first, then
 * these rows, then tells the hub; a reader that finds no complete set of rows
 * for the version it looks for (no binding, no table, a failed write, a
 * query error) reads KV as before. Rows are written in one batch (a D1 batch
 * is a transaction), each carrying how many parts the version has, so a
 * reader never pieces together a partial version.
 */
import type { PublishedConfig } from './published.js'

/** Characters per row: at most 3 bytes each in UTF-8, under D1's 2,000,000-byte row. https://developers.cloudflare.com/d1/platform/limits/ */
export const CONFIG_ROW_CHARS = 500_000
/** Versions kept besides the newest (an isolate a little behind still finds its version). */
const KEEP_VERSIONS = 2

export const CONFIG_ROWS_TABLE = 'edgevoy_config'
const CREATE = `CREATE TABLE IF NOT EXISTS ${CONFIG_ROWS_TABLE} (version INTEGER NOT NULL, part INTEGER NOT NULL, parts INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (version, part))`
const INSERT = `INSERT OR REPLACE INTO ${CONFIG_ROWS_TABLE} (version, part, parts, body) VALUES (?1, ?2, ?3, ?4)`
const PRUNE = `DELETE FROM ${CONFIG_ROWS_TABLE} WHERE version <= ?1`
/** Rows read: the version's parts (a range of the primary key). */
export const CONFIG_ROWS_SELECT = `SELECT part, parts, body FROM ${CONFIG_ROWS_TABLE} WHERE version = ?1 ORDER BY part`

export type ConfigRowsDb = Pick<D1Database, 'prepare' | 'batch'>

/** Writes `published` as rows (one transaction) and drops versions older than KEEP_VERSIONS. Throws what D1 throws. */
export async function writeConfigRows(db: ConfigRowsDb, published: PublishedConfig): Promise<void> {
  const text = JSON.stringify(published)
  const parts = Math.max(1, Math.ceil(text.length / CONFIG_ROW_CHARS))
  const rows = Array.from({ length: parts }, (_, i) => db.prepare(INSERT).bind(published.version, i, parts, text.slice(i * CONFIG_ROW_CHARS, (i + 1) * CONFIG_ROW_CHARS)))
  await db.prepare(CREATE).run()
  await db.batch([...rows, db.prepare(PRUNE).bind(published.version - 1 - KEEP_VERSIONS)])
}

/** Version `version` from its rows, or undefined (not there, incomplete, another version, D1 failed): read KV instead. Never throws. */
export async function readConfigRows(db: Pick<D1Database, 'prepare'>, version: number): Promise<PublishedConfig | undefined> {
  try {
    const { results } = await db.prepare(CONFIG_ROWS_SELECT).bind(version).all<{ part: number; parts: number; body: string }>()
    if (!results.length || results.length !== results[0]!.parts || results.some((r, i) => r.part !== i)) return undefined
    const value = JSON.parse(results.map((r) => r.body).join('')) as PublishedConfig
    return value?.version === version ? value : undefined
  } catch {
    // "no such table" (nothing written yet), a D1 hiccup: KV answers instead.
    return undefined
  }
}
