/**
 * One of three endpoints dies mid-load: retries (connect-failure, previous_hosts)
 * hide it from clients, outlier detection ejects it after consecutive_5xx
 * failures, and it gets traffic again within one ejection time once back.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on
 */
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import { answeredBy, envoyConfig, proxyFor, sleep } from './health-harness'
import { upstreamStatus } from '../../src/upstream/cluster-status'

const control = controlClient(inject('upstreamControl'))

describe('outlier detection + retries', () => {
  it('2,000 sequential GETs with one endpoint killed: zero client errors, ejection, return', async () => {
    const ids = ['outlier-f-1', 'outlier-f-2', 'outlier-f-3']
    const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
    const proxy = proxyFor(
      envoyConfig(
        {
          name: 'outlier_failover',
          endpoints: ports.map((port) => ({ port })),
          extra: {
            outlier_detection: { consecutive_5xx: 3, interval: '0.2s', base_ejection_time: '0.5s', max_ejection_time: '0.5s', max_ejection_percent: 50 },
          },
        },
        { retry_policy: { retry_on: 'connect-failure', num_retries: 2, retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }] } },
      ),
    )
    const victim = ids[2]!
    const addressOf = (id: string) => `127.0.0.1:${ports[ids.indexOf(id)]}`
    const errors: string[] = []
    let servedByVictimWhileDead = 0
    let killedAt = -1
    let restartedAt = 0
    let backAt = 0
    for (let i = 0; i < 2000; i++) {
      if (i === 500) {
        await control.kill(victim)
        killedAt = i
      }
      if (i === 1200) {
        await control.restart(victim)
        restartedAt = Date.now()
      }
      const id = await answeredBy(await proxy.fetch(`/req/${i}`))
      if (id.startsWith('status:')) errors.push(`${i}:${id}`)
      if (id === victim && killedAt >= 0 && restartedAt === 0) servedByVictimWhileDead++
      if (id === victim && restartedAt > 0 && backAt === 0) backAt = Date.now()
      if (i === 520) {
        // Ejected within consecutive_5xx (3) failed tries to it.
        const status = upstreamStatus(proxy.clusters, proxy.snapshot.clusters.get('outlier_failover')!)
        const host = status.hosts.find((h) => h.address === addressOf(victim))!
        expect(host.ejections).toBeGreaterThanOrEqual(1)
        expect(host.ejectionReason).toBe('consecutive_5xx')
      }
    }
    expect(errors).toEqual([])
    expect(servedByVictimWhileDead).toBe(0)
    expect(backAt).toBeGreaterThan(0)
    // One ejection time (max_ejection_time caps the growth at 0.5 s) plus slack.
    expect(backAt - restartedAt).toBeLessThanOrEqual(500 + 300)
  }, 30_000)

  it('default max_ejection_percent (10%) ejects nothing in a 3-host cluster', async () => {
    const ids = ['outlier-d-1', 'outlier-d-2', 'outlier-d-3']
    const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
    await control.setBehavior(ids[0]!, { status: 503 })
    const proxy = proxyFor(envoyConfig({ name: 'outlier_default', endpoints: ports.map((port) => ({ port })), extra: { outlier_detection: { consecutive_5xx: 2 } } }))
    const seen = new Map<string, number>()
    for (let i = 0; i < 60; i++) {
      const res = await proxy.fetch('/x')
      const key = res.status === 503 ? 'failed' : 'ok'
      await res.body?.cancel()
      seen.set(key, (seen.get(key) ?? 0) + 1)
    }
    // Round robin keeps sending a third of the traffic to the failing host: no ejection.
    expect(seen.get('failed')).toBe(20)
    const status = upstreamStatus(proxy.clusters, proxy.snapshot.clusters.get('outlier_default')!)
    expect(status.hosts.every((h) => h.ejections === 0)).toBe(true)
    await control.setBehavior(ids[0]!, {})
  })
})
