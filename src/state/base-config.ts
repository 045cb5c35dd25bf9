/**
 * Control plane: the base config as source — `EDGEVOY_CONFIG` (the CLI's dev
 * server), else the base `edgevoy build` put in the deployed Worker, else the
 * bundled routes/ file — and compiling it. Reached only through
 * control-plane.ts (a lazy import), never from the data-plane entry.
 */
import bundledConfig from '../../routes/front-envoy.yaml'
import { compileConfig } from '../compile/index.js'
import type { Snapshot } from '../compile/types.js'
import { formatIssue } from '../config/issues.js'
import { loadConfig } from '../config/load.js'
import { builtBase } from './base.js'
import { baseHashOf } from './base-hash.js'
import { compileAndSerialize } from './compile-snapshot.js'
import { needsXdsPoller } from './xds-polled.js'

export { compileAndSerialize }

/** The base config's v3 JSON (version 0), or throw: the Worker cannot start without it. */
export function baseConfigJson(env: EdgevoyEnv): unknown {
  const built = builtBase()
  if (!env.EDGEVOY_CONFIG && built) return JSON.parse(built.sourceText)
  const loaded = loadConfig(env.EDGEVOY_CONFIG || bundledConfig)
  if (!loaded.ok) throw new Error(`the base config is invalid: ${loaded.errors.map((e) => e.message).join('; ')}`)
  return loaded.config.json
}

export const resolveOf = (env: EdgevoyEnv) => (env.EDGEVOY_RESOLVE ? (JSON.parse(env.EDGEVOY_RESOLVE) as Record<string, string[]>) : undefined)

/** The base config (not built into the Worker) compiled as version 0 for this env, or throw with every error. */
export function compileBase(env: EdgevoyEnv): { snapshot: string; source: unknown; sourceHash: string; xdsPolled: boolean } {
  const loaded = loadConfig(env.EDGEVOY_CONFIG || bundledConfig)
  if (!loaded.ok) throw new Error(`invalid Envoy config:\n${loaded.errors.map((e) => formatIssue(e)).join('\n')}`)
  const { text } = compileAndSerialize(loaded.config, { version: '0', resolve: resolveOf(env) })
  return { snapshot: text, source: loaded.config.json, sourceHash: baseHashOf(loaded.config.json), xdsPolled: needsXdsPoller(loaded.config.json) }
}

/** Load and compile config text, or throw with every error. */
export function compileText(text: string, options: { version?: string; resolve?: Record<string, string[]> } = {}): Snapshot {
  const loaded = loadConfig(text)
  if (!loaded.ok) throw new Error(`invalid Envoy config:\n${loaded.errors.map((e) => formatIssue(e)).join('\n')}`)
  return compileConfig(loaded.config, options)
}
