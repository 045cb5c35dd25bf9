/**
 * What the config authority publishes to KV and isolates read back: one key
 * holding the latest accepted version whole. One key (not version + body)
 * so an eventually consistent read never pairs a version with another body.
 */
import bundledConfig from '../../routes/front-envoy.yaml'
import { loadConfig } from '../config/load.js'

/** KV key of the latest accepted config. */
export const PUBLISHED_KEY = 'edgevoy/config/current'

export interface PublishedConfig {
  /** Monotonically increasing; 0 is the bundled (or EDGEVOY_CONFIG) config. */
  readonly version: number
  /** The v3 JSON form of the config. */
  readonly config: unknown
  /** ISO time the authority accepted it. */
  readonly createdAt: string
}

export function isPublishedConfig(value: unknown): value is PublishedConfig {
  const v = value as Partial<PublishedConfig> | null
  return typeof v === 'object' && v !== null && Number.isInteger(v.version) && typeof v.createdAt === 'string' && 'config' in v
}

/** The config that serves when nothing was stored: `EDGEVOY_CONFIG` (the CLI) or the bundled routes/ file. */
export function baseConfigText(env: EdgevoyEnv): string {
  return env.EDGEVOY_CONFIG || bundledConfig
}

/** The base config's v3 JSON (version 0), or throw: the Worker cannot start without it. */
export function baseConfigJson(env: EdgevoyEnv): unknown {
  const loaded = loadConfig(baseConfigText(env))
  if (!loaded.ok) throw new Error(`the bundled config is invalid: ${loaded.errors.map((e) => e.message).join('; ')}`)
  return loaded.config.json
}
