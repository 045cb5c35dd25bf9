/**
 * gRPC retry conditions in retry_on (Envoy accepts them beside the HTTP ones):
 * a headers-only response whose grpc-status is UNAVAILABLE (14) is retried by
 * `unavailable` and not by `5xx` (gRPC errors arrive as HTTP 200).
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-grpc-on
 */
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import { envoyConfig, proxyFor } from './health-harness'

const control = controlClient(inject('upstreamControl'))

describe('gRPC retry_on conditions', () => {
  it('unavailable retries a grpc-status 14 answer; 5xx alone does not', async () => {
    const id = 'retry-grpc-unavailable'
    const { port } = await control.start(id)
    await control.setBehavior(id, {})
    const path = '/response-headers?grpc-status=14&content-type=application/grpc'
    const tries = async (retry_on: string, name: string) => {
      const proxy = proxyFor(envoyConfig({ name, endpoints: [{ port }] }, { retry_policy: { retry_on, num_retries: 2 } }))
      const before = (await control.state(id)).requests
      const res = await proxy.fetch(path, { method: 'POST', headers: { 'content-type': 'application/grpc' } })
      expect(res.headers.get('grpc-status')).toBe('14')
      await res.arrayBuffer()
      return (await control.state(id)).requests - before
    }
    expect(await tries('unavailable', 'retry_grpc_unavailable')).toBe(3)
    expect(await tries('cancelled,deadline-exceeded', 'retry_grpc_other')).toBe(1)
    expect(await tries('5xx', 'retry_grpc_5xx')).toBe(1)
  })
})
