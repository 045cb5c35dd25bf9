/**
 * One config per mesh node, for the xDS server: `PUT /nodes/:node/config`
 * validates and compiles a whole v3 bootstrap (what the sidecar would run)
 * and stores it as that node's next version; the xDS endpoints serve it.
 * The storage is an interface the config authority implements (sqlNodeStore
 * below gives it a SQLite table), so writes are serialized like edge configs.
 */
import { compileConfig } from '../compile/index.js'
import type { ConfigIssue } from '../config/issues.js'
import { validateConfig } from '../config/load.js'
import type { NodeConfig } from './server.js'

export interface StoredNodeConfig {
  readonly version: number
  readonly json: unknown
  readonly updatedAt: string
}

export type NodePutResult =
  | { readonly ok: true; readonly version: number; readonly created: boolean }
  | { readonly ok: false; readonly current: number }

/** What the authority implements. `ifMatch` is a version (or '*'); a mismatch is `{ ok: false }`. */
export interface NodeConfigStorage {
  get(node: string): Promise<StoredNodeConfig | undefined> | StoredNodeConfig | undefined
  put(node: string, json: unknown, ifMatch?: number | '*'): Promise<NodePutResult> | NodePutResult
}

export interface NodeWriteAnswer {
  readonly status: 200 | 201 | 400 | 412
  readonly body: Record<string, unknown>
  readonly headers: Record<string, string>
}

/** A node name: what Envoy's `--service-node` / `node.id` usually is. */
export const NODE_NAME = /^[A-Za-z0-9._~-]{1,128}$/

/**
 * The `PUT /nodes/:node/config` handler: validate, compile, store. The body is
 * already parsed (JSON or YAML, as the admin API reads bodies).
 */
export async function putNodeConfig(storage: NodeConfigStorage, node: string, body: unknown, ifMatch?: number | '*'): Promise<NodeWriteAnswer> {
  if (!NODE_NAME.test(node)) return { status: 400, body: { code: 'invalid_node', message: `node name "${node}" must match ${NODE_NAME.source}` }, headers: {} }
  const loaded = validateConfig(body)
  if (!loaded.ok) return invalid('invalid_config', `the node config has ${loaded.errors.length} error(s); nothing was changed`, loaded.errors)
  try {
    compileConfig(loaded.config)
  } catch (e) {
    return invalid('compile_failed', `the node config does not compile: ${e instanceof Error ? e.message : String(e)}`, [])
  }
  const result = await storage.put(node, loaded.config.json, ifMatch)
  if (!result.ok)
    return { status: 412, body: { code: 'precondition_failed', message: `If-Match names version ${String(ifMatch)}, node "${node}" is at version ${result.current}` }, headers: { etag: `"${result.current}"` } }
  return {
    status: result.created ? 201 : 200,
    body: { node, version: result.version, created: result.created, warnings: loaded.warnings },
    headers: { etag: `"${result.version}"` },
  }
}

const invalid = (code: string, message: string, details: readonly ConfigIssue[]): NodeWriteAnswer => ({ status: 400, body: { code, message, details }, headers: {} })

/** The xDS server's lookup over a storage: the node's own config, else its `node.cluster`'s. */
export function nodeConfigGetter(storage: NodeConfigStorage): (nodeId: string, nodeCluster: string) => Promise<NodeConfig | undefined> {
  return async (nodeId, nodeCluster) => {
    const own = nodeId !== '' ? await storage.get(nodeId) : undefined
    const stored = own ?? (nodeCluster !== '' ? await storage.get(nodeCluster) : undefined)
    return stored ? { version: stored.version, json: stored.json } : undefined
  }
}

/** Versions of a node only go up, so a delete-and-recreate never reuses a version a sidecar has ACKed. */
export function sqlNodeStore(sql: SqlStorage): NodeConfigStorage {
  sql.exec(`CREATE TABLE IF NOT EXISTS node_configs (
    node TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    config TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`)
  const get = (node: string): StoredNodeConfig | undefined => {
    const row = sql.exec<{ version: number; config: string; updated_at: string }>('SELECT version, config, updated_at FROM node_configs WHERE node = ?', node).toArray()[0]
    return row ? { version: row.version, json: JSON.parse(row.config), updatedAt: row.updated_at } : undefined
  }
  return {
    get,
    // Synchronous inside the Durable Object: read-check-write cannot interleave with another put.
    put(node, json, ifMatch) {
      const current = get(node)?.version ?? 0
      if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current) return { ok: false, current }
      const version = current + 1
      sql.exec(
        'INSERT INTO node_configs (node, version, config, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(node) DO UPDATE SET version = excluded.version, config = excluded.config, updated_at = excluded.updated_at',
        node, version, JSON.stringify(json), new Date().toISOString(),
      )
      return { ok: true, version, created: current === 0 }
    },
  }
}
