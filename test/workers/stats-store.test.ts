/**
 * One stats store: the listener's, the clusters' and the filters' counters
 * all go to the store the app was given (the composition root creates it),
 * and `/__admin/stats` and `/stats/prometheus` serve them from there.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/rbac_filter#statistics
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--stats-prometheus
 */
import { describe, expect, inject, it } from 'vitest'
import { statsRoutes } from '../../src/observability/admin-routes'
import { isolateStats, StatsStore } from '../../src/observability/stats'
import { bootstrap, harness } from '../support/filters-harness'
import { parsePrometheus, valueOf } from '../support/prometheus-parser'

const RBAC = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC'
const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault'
const LRL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'

describe('filter counters reach /stats and Prometheus through the one store', () => {
  it('rbac, fault and local_ratelimit counters sit beside the listener stats in the injected store, and nowhere else', async () => {
    const port = inject('upstreams').a!
    const stats = new StatsStore({ isolateId: 'test' })
    const before = isolateStats.counters.get('http.ingress.rbac.denied') ?? 0
    const h = harness(
      bootstrap(port, [{ name: 'v', domains: ['*'], routes: [{ name: 'r', match: { prefix: '/' }, route: { cluster: 'upstream' } }] }], [
        { name: 'envoy.filters.http.rbac', typed_config: { '@type': RBAC, rules: { action: 'DENY', policies: { admin: { permissions: [{ url_path: { path: { prefix: '/admin' } } }], principals: [{ any: true }] } } } } },
        { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT, delay: { fixed_delay: '0.001s', percentage: { numerator: 100 } } } },
        {
          name: 'envoy.filters.http.local_ratelimit',
          typed_config: {
            '@type': LRL,
            stat_prefix: 'edge_rl',
            token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '60s' },
            filter_enabled: { default_value: { numerator: 100 } },
            filter_enforced: { default_value: { numerator: 100 } },
          },
        },
        { name: 'envoy.filters.http.router' },
      ]),
      undefined,
      { stats },
    )
    // Each body is read to its end: a request is counted once its response has ended.
    const answer = async (path: string) => {
      const res = await h.fetch(path)
      await res.arrayBuffer()
      return res.status
    }
    expect(await answer('/admin')).toBe(403)
    expect(await answer('/ok')).toBe(200)
    expect(await answer('/ok')).toBe(429)
    // The access log and stats are written after the body ends (off the response path).
    await new Promise((r) => setTimeout(r, 50))

    const admin = statsRoutes({ stats })
    const json = (await (await admin.request('/stats?format=json')).json()) as { stats: { name: string; value: number }[] }
    const value = (name: string) => json.stats.find((s) => s.name === name)?.value
    expect(value('http.ingress.rbac.denied')).toBe(1)
    expect(value('http.ingress.rbac.allowed')).toBe(2)
    expect(value('http.ingress.fault.delays_injected')).toBe(2)
    expect(value('edge_rl.http_local_rate_limit.rate_limited')).toBe(1)
    expect(value('http.ingress.downstream_rq_total')).toBe(3)
    expect(await (await admin.request('/stats')).text()).toContain('http.ingress.rbac.denied: 1\n')

    const prom = parsePrometheus(await (await admin.request('/stats/prometheus')).text())
    expect(valueOf(prom, 'envoy_http_rbac_denied', { envoy_http_conn_manager_prefix: 'ingress' })).toBe(1)
    expect(valueOf(prom, 'envoy_http_downstream_rq_total', { envoy_http_conn_manager_prefix: 'ingress' })).toBe(3)
    // The isolate's default store was not written: there is one store per app, the one it was given.
    expect(isolateStats.counters.get('http.ingress.rbac.denied') ?? 0).toBe(before)
  })
})
