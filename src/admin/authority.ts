/**
 * The config authority: one Durable Object through which every config write
 * passes. KV has no compare-and-swap, so two racing writers could silently
 * overwrite each other; here each write's read-check-validate-store runs
 * synchronously against SQLite storage (nothing can interleave inside it),
 * versions only go up, and every accepted version is published to KV for the
 * isolates to pick up.
 * https://developers.cloudflare.com/durable-objects/api/sqlite-storage-api/
 */
import { COMPILER_VERSION } from '../compile/serialize.js'
import type { ConfigIssue } from '../config/issues.js'
import type { BootstrapConfig } from '../config/schema/bootstrap.js'
import { validateConfig } from '../config/load.js'
import { shadowedRoutes } from '../compile/route-shadow.js'
import { baseConfigJson, compileAndSerialize, resolveOf } from '../state/base-config.js'
import { baseHashOf } from '../state/base-hash.js'
import type { StateEnv } from '../state/env.js'
import { writeConfigRows, type ConfigRowsDb } from '../state/config-rows.js'
import { PUBLISHED_KEY, type PublishedConfig } from '../state/published.js'
import { HUB_NAME, type HealthHub } from '../upstream/health/authority.js'
import { sqlNodeStore, type NodeConfigStorage, type NodePutResult, type StoredNodeConfig } from '../xds/nodes.js'
import { applyEdit, type EditOp } from './edits.js'

/** Versions kept for GET /config/versions and rollback (the issue asks for at least 50). */
export const HISTORY_LIMIT = 100

export interface VersionSummary {
  readonly version: number
  readonly createdAt: string
  /** What made this version: `PUT /config`, `PUT /clusters/x`, `rollback to 3`, … */
  readonly note: string
}

/**
 * The listener this Worker serves, which a whole-config write must keep:
 * without it every request would answer 503. `force` writes anyway.
 */
export interface ListenerGuard {
  readonly listener: string
  readonly force: boolean
}

/** `*` matches any version; a number must equal the current version. */
export type Precondition = number | '*' | undefined

export type WriteResult =
  | { readonly ok: true; readonly published: PublishedConfig; readonly created: boolean; readonly warnings: readonly ConfigIssue[] }
  | { readonly ok: false; readonly status: 400 | 404 | 409 | 412; readonly code: string; readonly message: string; readonly details: readonly unknown[]; readonly current: number }

/** The Durable Object class (state/durable-objects.ts) forwards every RPC method to this core, imported lazily. */
export type { ConfigAuthority } from '../state/durable-objects.js'

export class ConfigAuthorityCore {
  #published: Promise<void> = Promise.resolve()
  /** One config per mesh node, served over REST xDS (src/xds); same serialization as edge writes. */
  readonly #nodes: NodeConfigStorage
  readonly ctx: DurableObjectState
  readonly env: StateEnv
  /** The deployed base config, read once per object. */
  #base: { json: unknown; hash: string } | undefined

  constructor(ctx: DurableObjectState, env: StateEnv) {
    this.ctx = ctx
    this.env = env
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS versions (
      version INTEGER PRIMARY KEY,
      config TEXT NOT NULL,
      created_at TEXT NOT NULL,
      note TEXT NOT NULL
    )`)
    // Compiled once here, loaded by every isolate; base_hash: the deployed base this version was made against.
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS snapshots (
      version INTEGER PRIMARY KEY,
      compiler TEXT NOT NULL,
      snapshot TEXT NOT NULL,
      base_hash TEXT NOT NULL
    )`)
    this.#nodes = sqlNodeStore(ctx.storage.sql)
  }

  #baseConfig(): { json: unknown; hash: string } {
    if (!this.#base) {
      const json = baseConfigJson(this.env)
      this.#base = { json, hash: baseHashOf(json) }
    }
    return this.#base
  }

  /**
   * A base config deployed after versions were pushed must not be shadowed
   * by them: when the deployed base differs from the one the latest version
   * was accepted against, it becomes the newest version (the history shows
   * it as `deployed base config`) and is published. Answers the latest
   * published version (adopted now or before), or undefined when there are
   * no pushed versions (the base serves as version 0).
   */
  async adoptBase(): Promise<PublishedConfig | undefined> {
    const base = this.#baseConfig()
    const sql = this.ctx.storage.sql
    const latest = sql.exec<{ version: number; base_hash: string | null }>('SELECT v.version AS version, s.base_hash AS base_hash FROM versions v LEFT JOIN snapshots s ON s.version = v.version ORDER BY v.version DESC LIMIT 1').toArray()[0]
    if (!latest) return undefined
    // An older row without a hash: nothing to compare, the latest stays.
    if (latest.base_hash === null || latest.base_hash === base.hash) return this.#latestPublished()
    const result = await this.write({ kind: 'replace', config: base.json }, '*', 'deployed base config')
    return result.ok ? result.published : this.#latestPublished()
  }

  getNode(node: string): StoredNodeConfig | undefined {
    return this.#nodes.get(node) as StoredNodeConfig | undefined
  }

  /** Store an already validated node config (src/xds/nodes.ts putNodeConfig validates). */
  putNode(node: string, json: unknown, ifMatch?: number | '*'): NodePutResult {
    return this.#nodes.put(node, json, ifMatch) as NodePutResult
  }

  /** The latest version, or version 0: the Worker's bundled config. */
  current(): PublishedConfig {
    const row = this.ctx.storage.sql.exec<{ version: number; config: string; created_at: string }>('SELECT version, config, created_at FROM versions ORDER BY version DESC LIMIT 1').toArray()[0]
    if (!row) return { version: 0, config: this.#baseConfig().json, createdAt: new Date(0).toISOString() }
    return { version: row.version, config: JSON.parse(row.config), createdAt: row.created_at }
  }

  version(v: number): PublishedConfig | undefined {
    if (v === 0) return { version: 0, config: this.#baseConfig().json, createdAt: new Date(0).toISOString() }
    const row = this.ctx.storage.sql.exec<{ version: number; config: string; created_at: string }>('SELECT version, config, created_at FROM versions WHERE version = ?', v).toArray()[0]
    return row ? { version: row.version, config: JSON.parse(row.config), createdAt: row.created_at } : undefined
  }

  versions(): { current: number; versions: VersionSummary[] } {
    const rows = this.ctx.storage.sql.exec<{ version: number; created_at: string; note: string }>('SELECT version, created_at, note FROM versions ORDER BY version DESC').toArray()
    return { current: rows[0]?.version ?? 0, versions: rows.map((r) => ({ version: r.version, createdAt: r.created_at, note: r.note })) }
  }

  /**
   * Apply one edit if the precondition holds, validate and compile the whole
   * result, store it as the next version and publish it. Everything before the
   * publish is synchronous, so concurrent writes are strictly ordered.
   */
  async write(op: EditOp, ifMatch: Precondition, note: string, guard?: ListenerGuard): Promise<WriteResult> {
    const result = this.#writeNow(op, ifMatch, note, guard)
    // The version is committed either way; a failed publish is logged and retried by the next write.
    if (result.ok) await this.#publish().catch(() => {})
    return result
  }

  async rollback(target: number, ifMatch: Precondition, guard?: ListenerGuard): Promise<WriteResult> {
    const old = this.version(target)
    if (!old) {
      const current = this.current().version
      return { ok: false, status: 404, code: 'not_found', message: `version ${target} is not in the history (kept: the last ${HISTORY_LIMIT})`, details: [], current }
    }
    return this.write({ kind: 'replace', config: old.config }, ifMatch, `rollback to ${target}`, guard)
  }

  #writeNow(op: EditOp, ifMatch: Precondition, note: string, guard: ListenerGuard | undefined): WriteResult {
    const current = this.current()
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current.version) {
      return { ok: false, status: 412, code: 'precondition_failed', message: `If-Match names version ${ifMatch}, the current version is ${current.version}`, details: [], current: current.version }
    }
    const edited = applyEdit(current.config, op)
    if (!edited.ok) return { ok: false, status: edited.status, code: edited.code, message: edited.message, details: edited.details ?? [], current: current.version }
    const loaded = validateConfig(edited.config)
    if (!loaded.ok) {
      const n = loaded.errors.length
      return { ok: false, status: 400, code: 'invalid_config', message: `the config has ${n} error${n === 1 ? '' : 's'}; nothing was changed`, details: loaded.errors, current: current.version }
    }
    const missing = guard && !guard.force ? missingListener(loaded.config.bootstrap, guard.listener) : undefined
    if (missing) return { ok: false, status: 409, code: 'listener_missing', message: missing, details: [{ listener: guard!.listener }], current: current.version }
    const version = current.version + 1
    let snapshot: string
    let shadowed: readonly ConfigIssue[]
    try {
      // Compiled once, here, where the config is written; isolates only load the result.
      const compiled = compileAndSerialize(loaded.config, { version: String(version), resolve: resolveOf(this.env) })
      snapshot = compiled.text
      // A route an earlier one always takes first is stored (Envoy accepts it) but said, as `validate` says it.
      shadowed = shadowedRoutes(compiled.snapshot)
    } catch (e) {
      return { ok: false, status: 400, code: 'compile_failed', message: `the config does not compile: ${e instanceof Error ? e.message : String(e)}`, details: [], current: current.version }
    }
    const createdAt = new Date().toISOString()
    const baseHash = this.#baseConfig().hash
    const sql = this.ctx.storage.sql
    sql.exec('INSERT INTO versions (version, config, created_at, note) VALUES (?, ?, ?, ?)', version, JSON.stringify(loaded.config.json), createdAt, note)
    sql.exec('INSERT OR REPLACE INTO snapshots (version, compiler, snapshot, base_hash) VALUES (?, ?, ?, ?)', version, COMPILER_VERSION, snapshot, baseHash)
    sql.exec('DELETE FROM versions WHERE version <= ?', version - HISTORY_LIMIT)
    sql.exec('DELETE FROM snapshots WHERE version <= ?', version - HISTORY_LIMIT)
    return { ok: true, published: { version, config: loaded.config.json, createdAt, snapshot, baseHash }, created: edited.created, warnings: [...loaded.warnings, ...shadowed] }
  }

  /**
   * The latest version as published: with its compiled snapshot, compiled
   * again when it was stored by another compiler version (an upgrade) or
   * before snapshots were stored.
   */
  #latestPublished(): PublishedConfig | undefined {
    const latest = this.current()
    if (latest.version === 0) return undefined
    const sql = this.ctx.storage.sql
    const row = sql.exec<{ compiler: string; snapshot: string; base_hash: string }>('SELECT compiler, snapshot, base_hash FROM snapshots WHERE version = ?', latest.version).toArray()[0]
    if (row && row.compiler === COMPILER_VERSION) return { ...latest, snapshot: row.snapshot, baseHash: row.base_hash }
    const loaded = validateConfig(latest.config)
    if (!loaded.ok) return latest // published without a snapshot: isolates report it and keep serving
    const snapshot = compileAndSerialize(loaded.config, { version: String(latest.version), resolve: resolveOf(this.env) }).text
    const baseHash = row?.base_hash ?? this.#baseConfig().hash
    sql.exec('INSERT OR REPLACE INTO snapshots (version, compiler, snapshot, base_hash) VALUES (?, ?, ?, ?)', latest.version, COMPILER_VERSION, snapshot, baseHash)
    return { ...latest, snapshot, baseHash }
  }

  /**
   * Publish the latest version to KV. Chained, and each link reads the latest
   * version when it runs, so KV's value only moves forward even when writes
   * finish their publishes out of order.
   */
  #publish(): Promise<void> {
    const kv = this.env.CONFIG
    if (!kv) return Promise.resolve()
    const next = this.#published.then(async () => {
      const latest = this.#latestPublished()
      if (latest) await kv.put(PUBLISHED_KEY, JSON.stringify(latest))
      // With D1 (EDGEVOY_DB), isolates read a new version as rows (state/config-rows.ts): written before the hub announces it.
      const db = (this.env as { EDGEVOY_DB?: ConfigRowsDb }).EDGEVOY_DB
      if (latest && db) await writeConfigRows(db, latest).catch((e: unknown) => console.warn('edgevoy: writing the config to D1 failed (isolates read KV instead)', e))
      // Isolates learn a new version from the health hub's answer (state/config-source.ts): tell it.
      if (latest) await tellHub(this.env, latest.version)
    })
    this.#published = next.catch((e: unknown) => console.error('edgevoy: publishing the config to KV failed', e))
    return next
  }
}

/** Why a config cannot replace the one serving `listener`, or undefined when it can. */
export function missingListener(config: BootstrapConfig, listener: string): string | undefined {
  const names = (config.static_resources?.listeners ?? []).map((l) => l.name)
  // Listeners that arrive over LDS cannot be checked here.
  if (names.length === 0 && config.dynamic_resources?.lds_config) return undefined
  if (names.includes(listener)) return undefined
  return `the config has no listener "${listener}", which this Worker serves (it has: ${names.join(', ') || 'none'}); every request would answer 503. Nothing was changed; add ?force=true to replace it anyway`
}

/** Best effort: a hub that misses this reads KV again within its recheck interval. */
async function tellHub(env: unknown, version: number): Promise<void> {
  const ns = (env as { HEALTH?: DurableObjectNamespace }).HEALTH
  if (!ns) return
  try {
    await (ns.get(ns.idFromName(HUB_NAME)) as unknown as HealthHub).setConfigVersion(version)
  } catch (e) {
    console.warn('edgevoy: telling the health hub the new config version failed', e)
  }
}
