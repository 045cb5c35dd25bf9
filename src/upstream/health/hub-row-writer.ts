/**
 * The health hub's side of its D1 row (hub-row.ts): writes the digest on a
 * change and as a heartbeat. Only the hub's core (state/health-authority-core.ts,
 * imported on demand) uses it; isolates only read the row.
 */
import type { HealthDigest } from './authority.js'
import { HUB_ROW_HEARTBEAT_MS, HUB_ROW_MAX_BYTES, HUB_ROW_TABLE, type D1Like } from './hub-row.js'

const CREATE = `CREATE TABLE IF NOT EXISTS ${HUB_ROW_TABLE} (id INTEGER PRIMARY KEY, body TEXT, written_at INTEGER NOT NULL)`
const UPSERT = `INSERT INTO ${HUB_ROW_TABLE} (id, body, written_at) VALUES (1, ?1, ?2) ON CONFLICT(id) DO UPDATE SET body = excluded.body, written_at = excluded.written_at`
const PAUSE = `UPDATE ${HUB_ROW_TABLE} SET written_at = 0 WHERE id = 1`

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
