/**
 * Passive health: consecutive-error outlier detection, per isolate, per cluster.
 * It only reports (ejected or not, and why); the cluster manager decides what
 * that means for load balancing.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/outlier_detection.proto
 */
import type { OutlierPolicy } from '../compile/types.js'

/** What one attempt to a host ended with. Local-origin: no HTTP answer at all. */
export type AttemptResult = { readonly kind: 'response'; readonly status: number } | { readonly kind: 'local'; readonly reason: 'connect_failure' | 'timeout' | 'reset' }

export type EjectionReason = 'consecutive_5xx' | 'consecutive_gateway_failure' | 'consecutive_local_origin_failure'

interface HostOutlier {
  consecutive5xx: number
  consecutiveGateway: number
  consecutiveLocal: number
  /** The ejection-time multiplier (decays while the host stays in service). */
  ejections: number
  /** Every ejection ever, for the admin view. */
  count: number
  ejectedAt: number | undefined
  ejectedUntil: number | undefined
  lastReason: EjectionReason | undefined
  /** When the host last left ejection: the ejection multiplier decays from here. */
  returnedAt: number | undefined
}

export interface OutlierInfo {
  readonly ejected: boolean
  /** Times this host was ejected. */
  readonly ejections: number
  readonly reason: EjectionReason | undefined
  readonly ejectedUntil: number | undefined
}

export class OutlierDetector {
  readonly #policy: OutlierPolicy
  readonly #hosts = new Map<string, HostOutlier>()
  readonly #random: () => number
  #totalEjections = 0

  constructor(policy: OutlierPolicy, addresses: readonly string[], random: () => number) {
    this.#policy = policy
    this.#random = random
    for (const a of addresses) this.#hosts.set(a, { consecutive5xx: 0, consecutiveGateway: 0, consecutiveLocal: 0, ejections: 0, count: 0, ejectedAt: undefined, ejectedUntil: undefined, lastReason: undefined, returnedAt: undefined })
  }

  get totalEjections(): number {
    return this.#totalEjections
  }

  /** Records a result; true when it ejected the host (health changed). */
  report(address: string, result: AttemptResult, now: number): boolean {
    const h = this.#hosts.get(address)
    if (!h || h.ejectedUntil !== undefined) return false
    const p = this.#policy
    if (result.kind === 'local' && p.splitExternalLocalOriginErrors) {
      h.consecutiveLocal++
      return h.consecutiveLocal >= p.consecutiveLocalOriginFailure && this.#eject(h, 'consecutive_local_origin_failure', p.enforcingLocalOriginFailure, now)
    }
    if (result.kind === 'response' && p.splitExternalLocalOriginErrors) h.consecutiveLocal = 0
    // Without the split, a local-origin error counts as the 5xx Envoy maps it to
    // (503 for connect failures and resets, 504 for timeouts): a gateway error too.
    const status = result.kind === 'response' ? result.status : result.reason === 'timeout' ? 504 : 503
    if (status < 500) {
      h.consecutive5xx = 0
      h.consecutiveGateway = 0
      return false
    }
    h.consecutive5xx++
    if (status >= 502 && status <= 504) h.consecutiveGateway++
    else h.consecutiveGateway = 0
    if (h.consecutiveGateway >= p.consecutiveGatewayFailure && this.#eject(h, 'consecutive_gateway_failure', p.enforcingGatewayFailure, now)) return true
    return h.consecutive5xx >= p.consecutive5xx && this.#eject(h, 'consecutive_5xx', p.enforcing5xx, now)
  }

  #eject(h: HostOutlier, reason: EjectionReason, enforcing: number, now: number): boolean {
    if (this.#random() * 100 >= enforcing) return false
    const ejected = [...this.#hosts.values()].filter((x) => x.ejectedUntil !== undefined).length
    // Envoy counts the host about to be ejected: with 3 hosts one ejection is
    // 33%, above the default 10%, so small clusters eject nothing by default.
    const percent = (100 * (ejected + 1)) / this.#hosts.size
    if (percent > this.#policy.maxEjectionPercent && !(ejected === 0 && this.#policy.alwaysEjectOneHost)) return false
    this.#decay(h, now)
    h.ejections++
    h.count++
    this.#totalEjections++
    h.ejectedAt = now
    h.ejectedUntil = now + Math.min(this.#policy.baseEjectionTimeMs * h.ejections, this.#policy.maxEjectionTimeMs)
    h.lastReason = reason
    h.consecutive5xx = h.consecutiveGateway = h.consecutiveLocal = 0
    return true
  }

  /** Envoy lowers the ejection multiplier for every interval a host stays in service. */
  #decay(h: HostOutlier, now: number): void {
    if (h.returnedAt === undefined || h.ejections === 0) return
    const healthyIntervals = Math.floor((now - h.returnedAt) / this.#policy.intervalMs)
    h.ejections = Math.max(0, h.ejections - healthyIntervals)
  }

  /**
   * Returns hosts whose ejection time is over, or that passed an active health
   * check since being ejected (`successful_active_health_check_uneject_host`).
   * True when anything changed.
   */
  refresh(now: number, lastPassAt: (address: string) => number | undefined): boolean {
    let changed = false
    for (const [address, h] of this.#hosts) {
      if (h.ejectedUntil === undefined) continue
      const passed = lastPassAt(address)
      const hcReturn = this.#policy.successfulActiveHealthCheckUnejectHost && passed !== undefined && h.ejectedAt !== undefined && passed > h.ejectedAt
      if (now >= h.ejectedUntil || hcReturn) {
        h.ejectedUntil = undefined
        h.returnedAt = now
        changed = true
      }
    }
    return changed
  }

  /** The earliest time an ejection ends, so callers know when to refresh. */
  nextReturn(): number | undefined {
    let next: number | undefined
    for (const h of this.#hosts.values()) if (h.ejectedUntil !== undefined && (next === undefined || h.ejectedUntil < next)) next = h.ejectedUntil
    return next
  }

  isEjected(address: string): boolean {
    return this.#hosts.get(address)?.ejectedUntil !== undefined
  }

  info(address: string): OutlierInfo {
    const h = this.#hosts.get(address)
    return { ejected: h?.ejectedUntil !== undefined, ejections: h?.count ?? 0, reason: h?.lastReason, ejectedUntil: h?.ejectedUntil }
  }
}
