/**
 * The control plane's side of the snapshot contract: a compiled Snapshot →
 * compact JSON text (the IR in a versioned envelope, with the source
 * config's hash and the compiler version). `loadSnapshot` (src/snapshot/load.ts)
 * reads it back without zod or YAML.
 */
import { COMPILER_VERSION, SNAPSHOT_FORMAT, type SnapshotEnvelope } from '../snapshot/format.js'
import { sourceOf } from '../snapshot/link.js'
import type { SnapshotIR } from './ir.js'
import type { Snapshot } from './types.js'

export { COMPILER_VERSION, SNAPSHOT_FORMAT }

/** The serialized form of a snapshot built by compileConfig (or loaded by loadSnapshot). */
export function serializeSnapshot(snapshot: Snapshot): string {
  const ir = sourceOf(snapshot)
  if (ir === undefined) throw new Error('serializeSnapshot: this snapshot was not built by compileConfig or loadSnapshot')
  // Loaded from serialized text: that text is its serialized form.
  if (typeof ir === 'string') return ir
  const envelope: SnapshotEnvelope<SnapshotIR> = { format: SNAPSHOT_FORMAT, compilerVersion: COMPILER_VERSION, sourceHash: ir.hash, snapshot: ir }
  return JSON.stringify(envelope)
}
