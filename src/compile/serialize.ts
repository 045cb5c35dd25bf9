/**
 * TEMPORARY stand-in (h-deploy) for h-compile's serialized snapshot format:
 * the agreed interface — `serializeSnapshot(snapshot): string` and
 * `COMPILER_VERSION` — so the build, deploy and publish plumbing can be
 * written against it. h-compile's file replaces this one at merge.
 *
 * This form carries the validated (zod output) bootstrap and its v3 JSON,
 * remembered per snapshot by `rememberSource`; its loader compiles them again.
 */
import type { EnvoyConfig } from '../config/load.js'
import type { CompileOptions } from './index.js'
import type { Snapshot } from './types.js'

export const COMPILER_VERSION = 'edgevoy-compiler/0-interim'
export const SNAPSHOT_FORMAT = 'edgevoy.snapshot'

const sources = new WeakMap<Snapshot, { config: EnvoyConfig; resolve: CompileOptions['resolve'] }>()

/** Interim only: the config a snapshot was compiled from, so it can be serialized. */
export function rememberSource(snapshot: Snapshot, config: EnvoyConfig, options: CompileOptions = {}): void {
  sources.set(snapshot, { config, resolve: options.resolve })
}

export function serializeSnapshot(snapshot: Snapshot): string {
  const source = sources.get(snapshot)
  if (!source) throw new Error('interim serializer: this snapshot was not compiled through rememberSource')
  return JSON.stringify({ format: SNAPSHOT_FORMAT, compiler: COMPILER_VERSION, hash: snapshot.hash, version: snapshot.version, bootstrap: source.config.bootstrap, json: source.config.json, resolve: source.resolve })
}
