/**
 * Control plane: the one place a validated config becomes what isolates
 * load — compiled, then serialized (src/compile/serialize.ts). Used by
 * `edgevoy build`, the config authority and the dev path alike.
 */
import { compileConfig } from '../compile/index.js'
import { serializeSnapshot } from '../compile/serialize.js'
import type { Snapshot } from '../compile/types.js'
import type { EnvoyConfig } from '../config/load.js'

export function compileAndSerialize(config: EnvoyConfig, options: { version: string; resolve?: Record<string, string[]> | undefined }): { snapshot: Snapshot; text: string } {
  const compileOptions = { version: options.version, ...(options.resolve ? { resolve: options.resolve } : {}) }
  const snapshot = compileConfig(config, compileOptions)
  return { snapshot, text: serializeSnapshot(snapshot) }
}

