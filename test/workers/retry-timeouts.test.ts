/**
 * Route timeout → 504; per_try_timeout plus retries → the fast host answers.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routeaction-timeout
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-retrypolicy-per-try-timeout
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on (gateway-error: 502/503/504 only)
 */
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import type { EchoBody } from '../support/upstream-types'
import { envoyConfig, proxyFor } from './health-harness'

const control = controlClient(inject('upstreamControl'))

describe('timeouts and retries', () => {
  it('answers 504 within 600 ms when a 2 s upstream exceeds a 500 ms route timeout', async () => {
    const { port } = await control.start('retry-timeout-slow')
    await control.setBehavior('retry-timeout-slow', { delayMs: 2000 })
    const proxy = proxyFor(envoyConfig({ name: 'retry_route_timeout', endpoints: [{ port }] }, { timeout: '0.5s' }))
    const started = Date.now()
    const res = await proxy.fetch('/slow')
    const elapsed = Date.now() - started
    expect(res.status).toBe(504)
    expect(await res.text()).toBe('upstream request timeout')
    expect(elapsed).toBeGreaterThanOrEqual(480)
    expect(elapsed).toBeLessThanOrEqual(600)
  })

  it('per_try_timeout 200 ms with 2 retries: the fast host answers', async () => {
    const slow = (await control.start('retry-pertry-slow')).port
    const fast = (await control.start('retry-pertry-fast')).port
    await control.setBehavior('retry-pertry-slow', { delayMs: 2000 })
    const proxy = proxyFor(
      envoyConfig({ name: 'retry_per_try', endpoints: [{ port: slow }, { port: fast }] }, { timeout: '3s', retry_policy: { retry_on: '5xx', num_retries: 2, per_try_timeout: '0.2s' } }),
    )
    for (let i = 0; i < 4; i++) {
      const started = Date.now()
      const res = await proxy.fetch('/x')
      expect(res.status).toBe(200)
      expect(((await res.json()) as EchoBody).id).toBe('retry-pertry-fast')
      // At most one 200 ms try on the slow host, a ≤ 250 ms back-off, then the fast answer.
      expect(Date.now() - started).toBeLessThan(700)
    }
  })

  it('gateway-error does not retry a plain 500, but does retry a 503', async () => {
    const ids = ['retry-gw-1', 'retry-gw-2']
    const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
    const proxy = proxyFor(envoyConfig({ name: 'retry_gateway_error', endpoints: ports.map((port) => ({ port })) }, { retry_policy: { retry_on: 'gateway-error', num_retries: 1, retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }] } }))
    await control.setBehavior(ids[0]!, { status: 500 })
    const statuses = async () => {
      const out: number[] = []
      for (let i = 0; i < 4; i++) {
        const res = await proxy.fetch('/x')
        await res.body?.cancel()
        out.push(res.status)
      }
      return out.sort()
    }
    const got500 = await statuses()
    // Round robin: half the first tries hit the 500 host, and a 500 is final.
    expect(got500).toEqual([200, 200, 500, 500])
    await control.setBehavior(ids[0]!, { status: 503 })
    expect(await statuses()).toEqual([200, 200, 200, 200])
    await control.setBehavior(ids[0]!, {})
  })

  it('ignores x-envoy-retry-on / x-envoy-max-retries from an external client', async () => {
    const id = 'retry-untrusted'
    const port = (await control.start(id)).port
    await control.setBehavior(id, { status: 503 })
    const proxy = proxyFor(envoyConfig({ name: 'retry_untrusted', endpoints: [{ port }] }))
    const before = (await control.state(id)).requests
    const res = await proxy.fetch('/x', { headers: { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '5' } })
    expect(res.status).toBe(503)
    await res.body?.cancel()
    expect((await control.state(id)).requests - before).toBe(1)
    await control.setBehavior(id, {})
  })
})
