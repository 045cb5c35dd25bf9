/**
 * OutlierDetector against Envoy's outlier detection semantics.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/outlier_detection.proto
 */
import { describe, expect, it } from 'vitest'
import type { OutlierDetectionConfig } from '../../src/config/schema/health'
import { lowerClusterResilience } from '../../src/compile/resilience'
import { OutlierDetector } from '../../src/upstream/outlier'
import { testHost } from '../support/hosts'

/** `config` is the schema's output: durations already in ms. */
function detector(config: OutlierDetectionConfig, hosts = 2) {
  const list = Array.from({ length: hosts }, (_, i) => testHost({ port: 20_000 + i }))
  const policy = lowerClusterResilience({ outlier_detection: config }).outlier!
  return { d: new OutlierDetector(policy, list.map((h) => h.address), () => 0.5), a: list[0]!.address }
}
const fail = { kind: 'response', status: 500 } as const
const gw = { kind: 'response', status: 503 } as const
const ok = { kind: 'response', status: 200 } as const

describe('OutlierDetector', () => {
  it('ejects after consecutive_5xx errors in a row; a success resets the count', () => {
    const { d, a } = detector({ consecutive_5xx: 3, max_ejection_percent: 100 })
    d.report(a, fail, 0)
    d.report(a, fail, 0)
    d.report(a, ok, 0)
    d.report(a, fail, 0)
    d.report(a, fail, 0)
    expect(d.isEjected(a)).toBe(false)
    expect(d.report(a, fail, 0)).toBe(true)
    expect(d.info(a)).toMatchObject({ ejected: true, ejections: 1, reason: 'consecutive_5xx' })
  })

  it('ejection time grows with each ejection: base_ejection_time × n, capped by max_ejection_time', () => {
    const { d, a } = detector({ consecutive_5xx: 1, base_ejection_time: 1000, max_ejection_time: 2500, max_ejection_percent: 100, interval: 100_000 })
    d.report(a, fail, 0)
    expect(d.info(a).ejectedUntil).toBe(1000)
    d.refresh(1000, () => undefined)
    d.report(a, fail, 1000)
    expect(d.info(a).ejectedUntil).toBe(3000)
    d.refresh(3000, () => undefined)
    d.report(a, fail, 3000)
    expect(d.info(a).ejectedUntil).toBe(5500)
  })

  it('consecutive_gateway_failure is enforced at 0% by default: counted, not ejected', () => {
    const { d, a } = detector({ consecutive_5xx: 100, consecutive_gateway_failure: 2, max_ejection_percent: 100 })
    for (let i = 0; i < 5; i++) d.report(a, gw, 0)
    expect(d.isEjected(a)).toBe(false)
    const enforced = detector({ consecutive_5xx: 100, consecutive_gateway_failure: 2, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 100 })
    enforced.d.report(enforced.a, gw, 0)
    enforced.d.report(enforced.a, gw, 0)
    expect(enforced.d.info(enforced.a).reason).toBe('consecutive_gateway_failure')
  })

  it('local-origin failures count as 5xx unless split_external_local_origin_errors', () => {
    const merged = detector({ consecutive_5xx: 2, max_ejection_percent: 100 })
    merged.d.report(merged.a, { kind: 'local', reason: 'connect_failure' }, 0)
    merged.d.report(merged.a, { kind: 'local', reason: 'connect_failure' }, 0)
    expect(merged.d.isEjected(merged.a)).toBe(true)
    const split = detector({ consecutive_5xx: 2, consecutive_local_origin_failure: 3, split_external_local_origin_errors: true, max_ejection_percent: 100 })
    split.d.report(split.a, { kind: 'local', reason: 'timeout' }, 0)
    split.d.report(split.a, { kind: 'local', reason: 'timeout' }, 0)
    expect(split.d.isEjected(split.a)).toBe(false)
    split.d.report(split.a, { kind: 'local', reason: 'timeout' }, 0)
    expect(split.d.info(split.a).reason).toBe('consecutive_local_origin_failure')
  })

  it('max_ejection_percent defaults to 10%: nothing is ejected from a small cluster', () => {
    const { d, a } = detector({ consecutive_5xx: 1 }, 3)
    d.report(a, fail, 0)
    expect(d.isEjected(a)).toBe(false)
  })

  it('a passing active health check un-ejects early (successful_active_health_check_uneject_host)', () => {
    const { d, a } = detector({ consecutive_5xx: 1, max_ejection_percent: 100, base_ejection_time: 30_000 })
    d.report(a, fail, 0)
    expect(d.refresh(10, () => 5)).toBe(true)
    expect(d.isEjected(a)).toBe(false)
  })
})
