/**
 * What the admin API mounts from other stages: the stats endpoints and the
 * dashboard (observability) and the endpoint drain (health), all under the
 * same prefix and token.
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--stats-prometheus
 */
import { createExecutionContext, env } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import { controlClient } from '../support/control-client'
import { anyHost, bootstrap } from '../support/config'
import worker from '../../src/index'
import type { StateEnv } from '../../src/state/env'

const TOKEN = 'admin-mounts-token'
const adminEnv = { ...(env as unknown as StateEnv), ADMIN_TOKEN: TOKEN, CONFIG_REFRESH_SECONDS: '0' } as StateEnv
const call = (path: string, init: RequestInit = {}, e: StateEnv = adminEnv) =>
  worker.fetch(new Request(`http://edge.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>, e, createExecutionContext())
const auth = { authorization: `Bearer ${TOKEN}` }

describe('admin mounts', () => {
  it('serves the stats in text, JSON and Prometheus form behind the token', async () => {
    expect((await call('/__admin/stats')).status).toBe(401)
    const text = await call('/__admin/stats', { headers: auth })
    expect(text.status).toBe(200)
    const prom = await call('/__admin/stats/prometheus', { headers: auth })
    expect(prom.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const json = await call('/__admin/stats?format=json', { headers: auth })
    expect(json.headers.get('content-type')).toMatch(/json/)
  })
  it('serves the dashboard page only with the token (Bearer, or Basic with the token as password), and only when the admin API is enabled', async () => {
    const page = await call('/__admin/', { headers: auth })
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<html/i)
    const { ADMIN_TOKEN: _, ...noToken } = adminEnv
    expect((await call('/__admin/', {}, noToken as StateEnv)).status).toBe(404)
  })
  it('drains an endpoint through the health authority, and names an unknown one', async () => {
    const unknown = await call('/__admin/clusters/nope/endpoints/1.2.3.4:80/health', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"health_status":"DRAINING"}' })
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_cluster')
  })
})

describe('upstream stats in /stats', () => {
  it('shows retries counted by the cluster manager under Envoy\'s name', async () => {
    // https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats (upstream_rq_retry)
    const control = controlClient(inject('upstreamControl'))
    const { port } = await control.start('admin-mounts-503')
    await control.setBehavior('admin-mounts-503', { status: 503 })
    const config = bootstrap({
      virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'flaky_stats', retry_policy: { retry_on: '5xx', num_retries: 2 } } }]),
      clusters: { flaky_stats: [port] },
    })
    const put = await call('/__admin/config', { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(config) })
    expect(put.status).toBe(200)
    const res = await call('/x')
    expect(res.status).toBe(503)
    await res.arrayBuffer()
    const text = await (await call('/__admin/stats?filter=flaky_stats', { headers: auth })).text()
    expect(text).toMatch(/^cluster\.flaky_stats\.upstream_rq_retry: 2$/m)
    expect(text).toMatch(/^cluster\.flaky_stats\.membership_total: 1$/m)
  })
})
