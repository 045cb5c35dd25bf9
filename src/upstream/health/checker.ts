/**
 * One HTTP active health check and the threshold state machine around it.
 * A host turns unhealthy after `unhealthy_threshold` failures in a row and
 * healthy again after `healthy_threshold` passes; a timeout counts as a failure.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking
 */
import type { StringMatcherIR } from '../../compile/ir.js'
import type { HealthCheckPolicy, StringMatch } from '../../compile/types.js'
import { loadRegexEngine } from '../../regex/index.js'
import { linkStringMatcher } from '../../snapshot/match-linkers.js'

/** Linked once per policy (the policy is plain data, checked every interval). */
const matchers = new WeakMap<StringMatcherIR, StringMatch>()
const serviceNameMatcher = (m: StringMatcherIR): StringMatch => {
  let f = matchers.get(m)
  if (!f) matchers.set(m, (f = linkStringMatcher(m)))
  return f
}

export interface CheckedHost {
  readonly address: string
  readonly origin: string
  readonly hostname: string
}

export type CheckResult = 'pass' | 'fail' | 'timeout' | 'immediate_fail'

/** Sends the check request; a status in `expected_statuses` passes. */
export async function runHealthCheck(host: CheckedHost, check: HealthCheckPolicy, fetcher: typeof fetch): Promise<CheckResult> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, check.timeoutMs)
  try {
    const res = await fetcher(host.origin + check.path, {
      method: check.method,
      // Envoy sends the cluster name as Host unless `host` is set; fetch() sends the URL's host anyway.
      headers: { 'user-agent': 'Envoy/HC', 'x-envoy-expected-rq-timeout-ms': String(check.timeoutMs), ...(check.host ? { 'x-forwarded-host': check.host } : {}) },
      redirect: 'manual',
      signal: controller.signal,
    })
    await res.body?.cancel().catch(() => undefined)
    if (res.headers.has('x-envoy-immediate-health-check-fail')) return 'immediate_fail'
    if (!check.expectedStatuses.some(([start, end]) => res.status >= start && res.status < end)) return 'fail'
    // Envoy's HttpHealthCheckerImpl: with service_name_matcher, the host must say which cluster it is
    // (x-envoy-upstream-healthchecked-cluster, absent = ""), or the check fails.
    // https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/health_check.proto#envoy-v3-api-field-config-core-v3-healthcheck-httphealthcheck-service-name-matcher
    // A regex runs on the regex engine, imported on demand: the health authority's Durable Object serves no snapshot that would have brought it.
    if (check.serviceName?.kind === 'regex') await loadRegexEngine()
    if (check.serviceName && !serviceNameMatcher(check.serviceName)(res.headers.get('x-envoy-upstream-healthchecked-cluster') ?? '')) return 'fail'
    return 'pass'
  } catch {
    return timedOut ? 'timeout' : 'fail'
  } finally {
    clearTimeout(timer)
  }
}

/** Per-host state the authority keeps. Hosts start healthy (see README: Envoy waits for a first pass). */
export interface HostCheckState {
  failed: boolean
  timedOut: boolean
  immediateFail: boolean
  consecutiveFailures: number
  consecutiveSuccesses: number
  checks: number
  lastPassAt: number | undefined
  nextCheckAt: number
}

export function newHostCheckState(now: number): HostCheckState {
  return { failed: false, timedOut: false, immediateFail: false, consecutiveFailures: 0, consecutiveSuccesses: 0, checks: 0, lastPassAt: undefined, nextCheckAt: now }
}

/** Applies one result; returns the state's next check time. */
export function applyCheckResult(s: HostCheckState, result: CheckResult, check: HealthCheckPolicy, now: number, random: () => number): void {
  s.checks++
  if (result === 'pass') {
    s.consecutiveSuccesses++
    s.consecutiveFailures = 0
    s.lastPassAt = now
    if (s.failed && s.consecutiveSuccesses >= check.healthyThreshold) {
      s.failed = false
      s.timedOut = false
      s.immediateFail = false
    }
  } else {
    s.consecutiveFailures++
    s.consecutiveSuccesses = 0
    if (result === 'immediate_fail') markImmediateFail(s)
    else if (s.consecutiveFailures >= check.unhealthyThreshold) {
      s.failed = true
      s.timedOut = result === 'timeout'
    }
  }
  s.nextCheckAt = now + nextInterval(s, check, random)
}

/** The sidecar said "fail me now": unhealthy until healthy_threshold passes. */
export function markImmediateFail(s: HostCheckState): void {
  s.failed = true
  s.immediateFail = true
  s.consecutiveSuccesses = 0
}

/** interval (or unhealthy_interval) plus Envoy's jitter: up to interval_jitter, plus up to interval_jitter_percent of the interval. */
function nextInterval(s: HostCheckState, check: HealthCheckPolicy, random: () => number): number {
  const base = s.failed ? check.unhealthyIntervalMs : check.intervalMs
  return base + random() * check.intervalJitterMs + (random() * base * check.intervalJitterPercent) / 100
}
