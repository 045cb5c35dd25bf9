/**
 * A host's health is a set of flags, each written by one source (active
 * checks, outlier detection, EDS/admin status), reduced to one answer for the
 * balancer — Envoy's `Host::HealthFlag` and `Host::coarseHealth()`.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/degraded
 */
import type { HostHealthStatus } from '../../compile/types.js'

export type HealthFlag =
  | 'FAILED_ACTIVE_HC'
  | 'ACTIVE_HC_TIMEOUT'
  | 'EXCLUDED_VIA_IMMEDIATE_HC_FAIL'
  | 'FAILED_OUTLIER_CHECK'
  | 'FAILED_EDS_HEALTH'
  | 'DEGRADED_EDS_HEALTH'
  | 'EDS_STATUS_DRAINING'

export type CoarseHealth = 'healthy' | 'degraded' | 'unhealthy'

const UNHEALTHY: ReadonlySet<HealthFlag> = new Set([
  'FAILED_ACTIVE_HC',
  'ACTIVE_HC_TIMEOUT',
  'EXCLUDED_VIA_IMMEDIATE_HC_FAIL',
  'FAILED_OUTLIER_CHECK',
  'FAILED_EDS_HEALTH',
  'EDS_STATUS_DRAINING',
])

export function coarseHealth(flags: ReadonlySet<HealthFlag>): CoarseHealth {
  for (const f of flags) if (UNHEALTHY.has(f)) return 'unhealthy'
  return flags.has('DEGRADED_EDS_HEALTH') ? 'degraded' : 'healthy'
}

/** The flag an EDS `health_status` (config, or an admin override) contributes. */
export function statusFlag(status: HostHealthStatus | undefined): HealthFlag | undefined {
  switch (status) {
    case 'UNHEALTHY':
    case 'TIMEOUT':
      return 'FAILED_EDS_HEALTH'
    case 'DRAINING':
      return 'EDS_STATUS_DRAINING'
    case 'DEGRADED':
      return 'DEGRADED_EDS_HEALTH'
    default:
      return undefined
  }
}

/** What the health authority (Durable Object) says about one host. */
export interface HostHealthReport {
  /** Failed its active health check (unhealthy_threshold reached, or immediate fail). */
  readonly activeFailed: boolean
  readonly timedOut: boolean
  readonly immediateFail: boolean
  /** Admin override of the endpoint's `health_status` (drain). */
  readonly override: HostHealthStatus | undefined
  /** Epoch ms of the last passing check, for outlier un-ejection. */
  readonly lastPassAt: number | undefined
  readonly consecutiveFailures: number
  readonly consecutiveSuccesses: number
  readonly checks: number
}

/** One cluster's health as the authority last computed it. */
export interface ClusterHealthReport {
  readonly cluster: string
  readonly hash: string | undefined
  readonly generatedAt: number
  readonly hosts: Readonly<Record<string, HostHealthReport>>
}
