/**
 * Active health checks run by the HEALTH Durable Object's alarm loop, with no
 * client traffic; isolates learn the result from a background poll.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/health_check.proto
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-immediate-health-check-fail
 */
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import { answeredBy, envoyConfig, proxyFor, sleep } from './health-harness'
import { upstreamStatus } from '../../src/upstream/cluster-status'

const control = controlClient(inject('upstreamControl'))

const INTERVAL_MS = 150
const UNHEALTHY_THRESHOLD = 2
const HEALTHY_THRESHOLD = 2
const healthChecks = [
  {
    timeout: '0.1s',
    interval: `${INTERVAL_MS / 1000}s`,
    unhealthy_threshold: UNHEALTHY_THRESHOLD,
    healthy_threshold: HEALTHY_THRESHOLD,
    http_health_check: { path: '/health' },
  },
]

async function answers(proxy: ReturnType<typeof proxyFor>, n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(await answeredBy(await proxy.fetch(`/h/${i}`)))
  return out
}

/** Polls (bounded) until `cond` holds. */
async function until(cond: () => boolean, limitMs: number): Promise<number> {
  const start = Date.now()
  while (!cond() && Date.now() - start < limitMs) await sleep(10)
  return Date.now() - start
}

describe('active health checks (Durable Object alarm loop)', () => {
  it('a host failing /health gets no traffic within unhealthy_threshold × interval, and returns after healthy_threshold passes', async () => {
    const ids = ['health-active-1', 'health-active-2', 'health-active-3']
    const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
    for (const id of ids) await control.setBehavior(id, { healthy: true })
    const proxy = proxyFor(envoyConfig({ name: 'health_active', endpoints: ports.map((port) => ({ port })), extra: { health_checks: healthChecks } }), { health: true })
    const cluster = proxy.snapshot.clusters.get('health_active')!
    const victim = ids[1]!
    const victimAddress = `127.0.0.1:${ports[1]}`

    // Traffic registers the cluster with its health authority; wait for a first report.
    expect(new Set(await answers(proxy, 6))).toEqual(new Set(ids))
    await until(() => (upstreamStatus(proxy.clusters, cluster).hosts[0]?.activeCheck?.checks ?? 0) > 0, 2000)
    expect(upstreamStatus(proxy.clusters, cluster).healthReportAt).toBeDefined()

    // No client requests from here: only the alarm loop's checks reach the hosts.
    await control.setBehavior(victim, { healthy: false })
    const failedAt = Date.now()
    const victimStatus = () => upstreamStatus(proxy.clusters, cluster).hosts.find((h) => h.address === victimAddress)!
    const detectedIn = await until(() => victimStatus().healthFlags.includes('failed_active_hc'), 3000)
    // Two failed checks (≤ 2 intervals after the flip, plus one in flight) and half an interval of poll lag.
    expect(detectedIn).toBeLessThanOrEqual((UNHEALTHY_THRESHOLD + 1) * INTERVAL_MS + INTERVAL_MS / 2 + 100)
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(INTERVAL_MS)
    const during = await answers(proxy, 30)
    expect(during).not.toContain(victim)
    expect(during.filter((id) => id.startsWith('status:'))).toEqual([])

    await control.setBehavior(victim, { healthy: true })
    const recoveredIn = await until(() => victimStatus().health === 'healthy', 3000)
    expect(recoveredIn).toBeLessThanOrEqual((HEALTHY_THRESHOLD + 1) * INTERVAL_MS + INTERVAL_MS / 2 + 100)
    expect(victimStatus().activeCheck!.consecutiveSuccesses).toBeGreaterThanOrEqual(HEALTHY_THRESHOLD)
    expect(await answers(proxy, 30)).toContain(victim)
  }, 20_000)
})
