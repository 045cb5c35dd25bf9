/**
 * The data plane's side of the snapshot contract: serialized text → the
 * runtime Snapshot, with no YAML, no zod and no schema — only JSON.parse and
 * link(). A snapshot written by another compiler (or not a snapshot at all)
 * is refused with `snapshot_incompatible`, and whoever holds the current
 * snapshot keeps serving it.
 */
import type { RouteActionIR, SnapshotIR } from '../compile/ir.js'
import type { Snapshot } from '../compile/types.js'
import { ProxyError } from '../errors.js'
import { COMPILER_VERSION, SNAPSHOT_FORMAT, type SnapshotEnvelope } from './format.js'
import { linkSnapshot } from './link.js'

const refuse = (message: string) => new ProxyError('snapshot_incompatible', { message })

/** Check the envelope of serialized snapshot text and return it, or throw `snapshot_incompatible`. */
export function readEnvelope(text: string): SnapshotEnvelope<SnapshotIR> {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw refuse(`not a serialized edgevoy snapshot: ${e instanceof Error ? e.message : String(e)}`)
  }
  const env = doc as Partial<SnapshotEnvelope<SnapshotIR>> | null
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
  unpoolActions(ir, env.actions as RouteActionIR[])
  return env as SnapshotEnvelope<SnapshotIR>
}

/**
 * Put each route's action back in place of its index (the serializer writes
 * identical actions once): routes that shared an action in the text share
 * one object here, and link() links it once.
 */
function unpoolActions(ir: SnapshotIR, actions: readonly RouteActionIR[]): void {
  for (const l of ir.listeners)
    for (const vh of l.routeTable.virtualHosts)
      for (const r of vh.routes) {
        const a = actions[r.action as unknown as number]
        if (a === undefined) throw refuse(`serialized snapshot: route ${JSON.stringify(r.name)} names action ${JSON.stringify(r.action)}, which the snapshot does not have`)
        ;(r as { action: RouteActionIR }).action = a
      }
}

/** Serialized snapshot text → the runtime Snapshot, or throws ProxyError `snapshot_incompatible`. */
export function loadSnapshot(text: string): Snapshot {
  return linkSnapshot(readEnvelope(text).snapshot, text)
}
