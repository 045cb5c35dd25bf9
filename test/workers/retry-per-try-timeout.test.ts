/**
 * A per-try timeout is retried only when retry_on covers it: 5xx,
 * gateway-error and reset do ("disconnect/reset/read timeout"), connect-failure
 * alone does not.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on
 */
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import { envoyConfig, proxyFor } from './health-harness'

const control = controlClient(inject('upstreamControl'))

describe('per-try timeout and retry_on', () => {
  it.each([
    ['connect-failure', 1],
    ['reset', 3],
    ['5xx', 3],
  ])('retry_on %s: %i tries to a host slower than per_try_timeout', async (retry_on, tries) => {
    const id = `per-try-${retry_on}`
    const { port } = await control.start(id)
    await control.setBehavior(id, { delayMs: 600 })
    const proxy = proxyFor(
      envoyConfig({ name: `per_try_${retry_on.replace('-', '_')}`, endpoints: [{ port }] }, { timeout: '5s', retry_policy: { retry_on, num_retries: 2, per_try_timeout: '0.1s' } }),
    )
    const before = (await control.state(id)).requests
    const res = await proxy.fetch('/slow')
    expect(res.status).toBe(504)
    await res.arrayBuffer()
    expect((await control.state(id)).requests - before).toBe(tries)
    await control.setBehavior(id, {})
  })
})
