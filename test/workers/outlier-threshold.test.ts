/**
 * Outlier detection ejects a host on exactly the consecutive_5xx-th
 * consecutive 5xx — not one earlier — whether the 5xx is a plain 500 or a
 * gateway error (consecutive_gateway_failure is not enforced by default:
 * enforcing_consecutive_gateway_failure defaults to 0).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/outlier_detection.proto
 * Envoy source/extensions/outlier_detection_monitors/… and
 * source/common/upstream/outlier_detection_impl.cc (putHttpResponseCode: ++consecutive_5xx_ == threshold).
 */
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import { envoyConfig, proxyFor } from './health-harness'

const control = controlClient(inject('upstreamControl'))

describe('consecutive_5xx threshold', () => {
  it.each([
    [500, 3],
    [503, 3],
    [502, 4],
  ])('a host answering %i is ejected after exactly %i consecutive 5xx', async (status, threshold) => {
    const bad = `outlier-threshold-${status}-bad`
    const good = `outlier-threshold-${status}-good`
    const ports = [(await control.start(bad)).port, (await control.start(good)).port]
    await control.setBehavior(bad, { status })
    await control.setBehavior(good, {})
    const proxy = proxyFor(
      envoyConfig({
        name: `outlier_threshold_${status}`,
        endpoints: ports.map((port) => ({ port })),
        extra: { outlier_detection: { consecutive_5xx: threshold, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 100 } },
      }),
    )
    const before = (await control.state(bad)).requests
    let failures = 0
    for (let i = 0; i < 4 * threshold + 4; i++) {
      const res = await proxy.fetch(`/x/${i}`)
      if (res.status >= 500) failures++
      await res.arrayBuffer()
    }
    expect((await control.state(bad)).requests - before).toBe(threshold)
    expect(failures).toBe(threshold)
    await control.setBehavior(bad, {})
  })

  it('a dead host (connect failures, local-origin errors counted as 503 without split) is ejected on the 3rd', async () => {
    const dead = 'outlier-threshold-dead'
    const good = 'outlier-threshold-dead-good'
    const ports = [(await control.start(dead)).port, (await control.start(good)).port]
    await control.setBehavior(good, {})
    await control.kill(dead)
    const proxy = proxyFor(
      envoyConfig({
        name: 'outlier_threshold_dead',
        endpoints: ports.map((port) => ({ port })),
        extra: { outlier_detection: { consecutive_5xx: 3, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 100 } },
      }),
    )
    let failures = 0
    for (let i = 0; i < 16; i++) {
      const res = await proxy.fetch(`/x/${i}`)
      if (res.status >= 500) failures++
      await res.arrayBuffer()
    }
    expect(failures).toBe(3)
    await control.restart(dead)
  })
})
