/**
 * The control plane's side of the snapshot contract: a compiled Snapshot →
 * compact JSON text (the IR in a versioned envelope, with the source
 * config's hash and the compiler version). `loadSnapshot` (src/snapshot/load.ts)
 * reads it back without zod or YAML.
 */
import { COMPILER_VERSION, SNAPSHOT_FORMAT, type SnapshotEnvelope } from '../snapshot/format.js'
import { sourceOf } from '../snapshot/link.js'
import type { RouteActionIR, SnapshotIR } from './ir.js'
import type { Snapshot } from './types.js'

export { COMPILER_VERSION, SNAPSHOT_FORMAT }

/** The serialized form of a snapshot built by compileConfig (or loaded by loadSnapshot). */
export function serializeSnapshot(snapshot: Snapshot): string {
  const ir = sourceOf(snapshot)
  if (ir === undefined) throw new Error('serializeSnapshot: this snapshot was not built by compileConfig or loadSnapshot')
  // Loaded from serialized text: that text is its serialized form.
  if (typeof ir === 'string') return ir
  const pooled = poolActions(ir)
  const envelope: SnapshotEnvelope<SnapshotIR> = { format: SNAPSHOT_FORMAT, compilerVersion: COMPILER_VERSION, sourceHash: ir.hash, snapshot: pooled.snapshot, actions: pooled.actions }
  return JSON.stringify(envelope)
}

/** The IR with each route's action replaced by its index in `actions`, identical actions written once (see SnapshotEnvelope.actions). */
function poolActions(ir: SnapshotIR): { snapshot: SnapshotIR; actions: RouteActionIR[] } {
  const actions: RouteActionIR[] = []
  const byText = new Map<string, number>()
  const indexOf = (a: RouteActionIR): number => {
    const text = JSON.stringify(a)
    let i = byText.get(text)
    if (i === undefined) byText.set(text, (i = actions.push(a) - 1))
    return i
  }
  const listeners = ir.listeners.map((l) => ({
    ...l,
    routeTable: {
      ...l.routeTable,
      virtualHosts: l.routeTable.virtualHosts.map((vh) => ({ ...vh, routes: vh.routes.map((r) => ({ ...r, action: indexOf(r.action) as unknown as RouteActionIR })) })),
    },
  }))
  return { snapshot: { ...ir, listeners }, actions }
}
