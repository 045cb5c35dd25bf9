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
export const IR_REVISION = 11

/**
 * The IR this revision means: sha256 (16 hex digits) of src/compile/ir.ts
 * without comments and whitespace. test/node/snapshot-format.test.ts fails
 * when ir.ts changes and this is not updated — with IR_REVISION bumped.
 */
export const IR_FINGERPRINT = '88040ceb2556d26d'

/** The compiler that wrote a snapshot; the loader accepts only its own. */
export const COMPILER_VERSION = `edgevoy-compiler/${IR_REVISION}`

/** The serialized form: the envelope around the IR, with the route pools (src/compile/ir.ts RoutePoolsIR) beside it. */
export interface SnapshotEnvelope<IR = unknown> {
  readonly format: typeof SNAPSHOT_FORMAT
  readonly compilerVersion: string
  /** Content hash of the source config the snapshot was compiled from. */
  readonly sourceHash: string
  /** The IR, each virtual host's routes written as columns (RouteColumnsIR; revision 9 on). */
  readonly snapshot: IR
  /**
   * Route actions written once and referred to by index (10,000 routes often
   * share a few hundred actions). Revision 3 on.
   */
  readonly actions: readonly unknown[]
  /** Safe-regex paths, matcher lists and route extras, each distinct value once (revision 9 on); absent: none. */
  readonly regexes?: readonly unknown[]
  readonly matches?: readonly unknown[]
  readonly extras?: readonly unknown[]
}
