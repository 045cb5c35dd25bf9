/**
 * Two other ways a host leaves the rotation for every isolate: the admin drain
 * (an override of its health_status held by the cluster's health authority)
 * and the sidecar's own `x-envoy-immediate-health-check-fail` answer, after
 * which only healthy_threshold passing checks bring it back.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-immediate-health-check-fail
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/health_check.proto#enum-config-core-v3-healthstatus
 */
import { env } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import { setEndpointHealth } from '../../src/upstream/health/admin'
import { namespaceResolver } from '../../src/upstream/health/authority'
import { controlClient } from '../support/control-client'
import type { EchoBody } from '../support/upstream-types'
import { answeredBy, envoyConfig, proxyFor, sleep } from './health-harness'
import { upstreamStatus } from '../../src/upstream/cluster-status'

const control = controlClient(inject('upstreamControl'))
const resolve = namespaceResolver((env as { HEALTH: DurableObjectNamespace }).HEALTH)
const healthChecks = [{ timeout: '0.1s', interval: '0.15s', unhealthy_threshold: 2, healthy_threshold: 2, http_health_check: { path: '/health' } }]

async function answers(proxy: ReturnType<typeof proxyFor>, n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(await answeredBy(await proxy.fetch(`/d/${i}`)))
  return out
}

describe('drain and immediate health-check fail', () => {
  it('POST …/endpoints/:addr/health DRAINING removes the host from every isolate; null restores it', async () => {
    const ids = ['health-drain-1', 'health-drain-2']
    const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
    const proxy = proxyFor(envoyConfig({ name: 'health_drain', endpoints: ports.map((port) => ({ port })), extra: { health_checks: healthChecks } }), { health: true })
    const cluster = proxy.snapshot.clusters.get('health_drain')!
    expect(new Set(await answers(proxy, 4))).toEqual(new Set(ids))

    const drained = await setEndpointHealth(cluster, `127.0.0.1:${ports[0]}`, { health_status: 'DRAINING' }, resolve)
    expect(drained.status).toBe(200)
    await sleep(200) // the background poll runs every half interval (75 ms)
    expect(await answers(proxy, 10)).toEqual(Array(10).fill(ids[1]))
    const flags = upstreamStatus(proxy.clusters, cluster).hosts[0]!.healthFlags
    expect(flags).toContain('eds_status_draining')

    expect((await setEndpointHealth(cluster, `127.0.0.1:${ports[0]}`, { health_status: null }, resolve)).status).toBe(200)
    await sleep(200)
    expect(await answers(proxy, 10)).toContain(ids[0])

    expect((await setEndpointHealth(cluster, '10.0.0.1:1', { health_status: 'DRAINING' }, resolve)).status).toBe(404)
    expect((await setEndpointHealth(cluster, `127.0.0.1:${ports[0]}`, { health_status: 'SLEEPY' }, resolve)).status).toBe(400)
  })

  it('x-envoy-immediate-health-check-fail fails the host at once, until healthy_threshold checks pass', async () => {
    const ids = ['health-immediate-1', 'health-immediate-2']
    const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
    const proxy = proxyFor(envoyConfig({ name: 'health_immediate', endpoints: ports.map((port) => ({ port })), extra: { health_checks: healthChecks } }), { health: true })
    const cluster = proxy.snapshot.clusters.get('health_immediate')!
    await answers(proxy, 2)
    await sleep(100)

    const res = await proxy.fetch('/response-headers?x-envoy-immediate-health-check-fail=true')
    const failed = ((await res.json()) as EchoBody).id
    expect(res.headers.get('x-envoy-immediate-health-check-fail')).toBeNull()
    const other = ids.find((id) => id !== failed)!
    // At once, in this isolate, without waiting for any check.
    expect(await answers(proxy, 6)).toEqual(Array(6).fill(other))
    const host = upstreamStatus(proxy.clusters, cluster).hosts.find((h) => h.address === `127.0.0.1:${ports[ids.indexOf(failed)]}`)!
    expect(host.healthFlags).toContain('excluded_via_immediate_hc_fail')

    // /health still passes, so two checks (≈ 300 ms) plus a poll bring it back.
    let back = false
    for (let i = 0; i < 40 && !back; i++) {
      await sleep(50)
      back = upstreamStatus(proxy.clusters, cluster).hosts.every((h) => h.health === 'healthy')
    }
    expect(back).toBe(true)
    expect(await answers(proxy, 6)).toContain(failed)
  })
})
