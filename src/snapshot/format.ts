/**
 * The serialized snapshot's envelope: the contract between the control plane
 * (which compiles a config once and writes the snapshot) and the data plane
 * (which only loads it). A loader refuses a snapshot whose format or
 * compiler version is not its own: the IR's shapes are only guaranteed to
 * mean the same thing to the compiler that wrote them.
 */

/** What the envelope's `format` field says. */
export const SNAPSHOT_FORMAT = 'edgevoy.snapshot'

/**
 * Bump on any change to the IR (src/compile/ir.ts) or to what a field means:
 * a snapshot written by another revision is refused.
 */
export const IR_REVISION = 10

/**
 * The IR this revision means: sha256 (16 hex digits) of src/compile/ir.ts
 * without comments and whitespace. test/node/snapshot-format.test.ts fails
 * when ir.ts changes and this is not updated — with IR_REVISION bumped.
 */
export const IR_FINGERPRINT = '989f8aac40207a85'

/** The compiler that wrote a snapshot; the loader accepts only its own. */
export const COMPILER_VERSION = `edgevoy-compiler/${IR_REVISION}`

/** The serialized form: the envelope around the IR. */
export interface SnapshotEnvelope<IR = unknown> {
  readonly format: typeof SNAPSHOT_FORMAT
  readonly compilerVersion: string
  /** Content hash of the source config the snapshot was compiled from. */
  readonly sourceHash: string
  readonly snapshot: IR
  /**
   * Route actions written once and referred to by index: in the serialized
   * form a route's `action` is a number into this list (10,000 routes often
   * share a few hundred actions — parsing and linking each once is most of
   * what a large snapshot costs to load). Revision 3 on.
   */
  readonly actions: readonly unknown[]
}
