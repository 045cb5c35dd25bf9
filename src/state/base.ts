/**
 * The base config a deployed Worker carries: what `edgevoy build` compiled
 * and serialized where the config is written. The generated entry module
 * (src/cli/worker-build.ts) registers it before any request; the data plane
 * only loads the serialized snapshot. Without one (tests, `edgevoy dev`),
 * the isolate compiles EDGEVOY_CONFIG or the bundled routes/ config through
 * the lazily imported control plane.
 */

export interface BuiltBase {
  /** The serialized snapshot (src/compile/serialize.ts), compiled as version 0. */
  readonly snapshot: string
  /**
   * The v3 JSON form of the config it was compiled from, as JSON text (parsed
   * only when asked: config_dump, the authority's version 0, the xDS seed).
   */
  readonly sourceText: string
  /** The source is (partly) fed by an xDS control plane: the poller needs starting (state/xds-polled.ts). */
  readonly xdsPolled: boolean
  /** Hash of `source` (baseHashOf): tells a newly deployed base from the one pushed versions were made against. */
  readonly sourceHash: string
  /** The listener `edgevoy build --listener` chose; EDGEVOY_LISTENER overrides it. */
  readonly listener?: string | undefined
  /** The config file it was built from, for messages. */
  readonly file?: string | undefined
}

let built: BuiltBase | undefined

/** Called once by the generated entry module, at module evaluation. */
export function registerBuiltBase(base: BuiltBase): void {
  built = base
}

export function builtBase(): BuiltBase | undefined {
  return built
}
