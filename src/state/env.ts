/**
 * The bindings and vars the admin API and config refresh read, on top of the
 * proxy's EdgevoyEnv (src/env.d.ts). Every one is optional: without them the
 * Worker serves its bundled config and the admin API is absent.
 */
import type { ConfigAuthority } from '../admin/authority.js'

export type StateEnv = EdgevoyEnv & {
  /** KV namespace the config authority publishes each accepted version to. */
  CONFIG?: KVNamespace
  /** The config authority Durable Object (one instance, `global`). */
  CONFIG_AUTHORITY?: DurableObjectNamespace<ConfigAuthority>
  /** Secret: the admin API's bearer token. Unset → the admin API answers 404. */
  ADMIN_TOKEN?: string
  /** Path prefix of the admin API, default `/__admin`. */
  ADMIN_PREFIX?: string
  /** Only requests for this hostname reach the admin API (others go to the proxy). */
  ADMIN_HOST?: string
  /** Seconds between KV checks for a newer config, default 5; 0 = every request (local dev). */
  CONFIG_REFRESH_SECONDS?: string
  /** `direct`: every isolate reads KV and polls each health authority itself, instead of through the location's cache (state/distribution.ts). */
  EDGEVOY_DISTRIBUTION?: string
  /** Optional D1 database: the health hub writes its answer to one row there and isolates read it (a row read instead of a Durable Object request; upstream/health/hub-row.ts). */
  EDGEVOY_DB?: D1Database
}

export const DEFAULT_REFRESH_SECONDS = 5

export function refreshSeconds(env: StateEnv): number {
  const n = Number(env.CONFIG_REFRESH_SECONDS)
  return env.CONFIG_REFRESH_SECONDS !== undefined && env.CONFIG_REFRESH_SECONDS !== '' && Number.isFinite(n) && n >= 0 ? n : DEFAULT_REFRESH_SECONDS
}
