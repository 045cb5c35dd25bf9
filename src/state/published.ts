/**
 * What the config authority publishes to KV and isolates read back: one key
 * holding the latest accepted version whole. One key (not version + body)
 * so an eventually consistent read never pairs a version with another body.
 * Isolates load only `snapshot` (compiled by the authority); `config` is the
 * source, for config_dump, `edgevoy pull` and GET /config.
 */

/** KV key of the latest accepted config. */
export const PUBLISHED_KEY = 'edgevoy/config/current'

export interface PublishedConfig {
  /** Monotonically increasing; 0 is the deployed (or EDGEVOY_CONFIG) base config. */
  readonly version: number
  /** The v3 JSON form of the config. */
  readonly config: unknown
  /** ISO time the authority accepted it. */
  readonly createdAt: string
  /** The serialized snapshot the authority compiled from `config` (src/compile/serialize.ts). */
  readonly snapshot?: string
  /** baseHashOf the base config deployed when this version was accepted. */
  readonly baseHash?: string
}

export function isPublishedConfig(value: unknown): value is PublishedConfig {
  const v = value as Partial<PublishedConfig> | null
  return typeof v === 'object' && v !== null && Number.isInteger(v.version) && typeof v.createdAt === 'string' && 'config' in v
}
