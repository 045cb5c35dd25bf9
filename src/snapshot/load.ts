/**
 * TEMPORARY stand-in (h-deploy) for h-compile's snapshot loader: the agreed
 * interface `loadSnapshot(text): Snapshot`, throwing an error with code
 * `snapshot_incompatible` for another compiler's snapshot. h-compile's file
 * replaces this one at merge. This interim form compiles the carried
 * bootstrap again (no zod, no yaml).
 */
import { compileConfig } from '../compile/index.js'
import { COMPILER_VERSION, SNAPSHOT_FORMAT } from '../compile/serialize.js'
import type { Snapshot } from '../compile/types.js'

export class SnapshotIncompatible extends Error {
  readonly code = 'snapshot_incompatible'
}

export function loadSnapshot(text: string): Snapshot {
  let data: { format?: unknown; compiler?: unknown; version?: unknown; bootstrap?: unknown; json?: unknown; resolve?: Record<string, string[]> }
  try {
    data = JSON.parse(text)
  } catch (e) {
    throw new SnapshotIncompatible(`not a serialized snapshot: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (data?.format !== SNAPSHOT_FORMAT) throw new SnapshotIncompatible('not a serialized edgevoy snapshot')
  if (data.compiler !== COMPILER_VERSION) throw new SnapshotIncompatible(`snapshot written by compiler ${String(data.compiler)}, this Worker runs ${COMPILER_VERSION}`)
  return compileConfig({ bootstrap: data.bootstrap as never, json: data.json }, { version: String(data.version), ...(data.resolve ? { resolve: data.resolve } : {}) })
}
