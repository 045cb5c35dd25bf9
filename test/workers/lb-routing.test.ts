/**
 * Load-balancing policies through the real router, against real upstreams:
 * hash_policy → RING_HASH / MAGLEV, sticky cookies, colo affinity.
 * (Needs the integration patch: notes/lb-integration.patch.)
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
 */
import { describe, expect, inject, it } from 'vitest'
import { compileConfig } from '../../src/compile/index'
import { validateConfig } from '../../src/config/load'
import { testApp, type Echo } from '../support/app'
import { anyHost, bootstrap, type TestConfig } from '../support/config'

const upstreams = inject('upstreams')

/** Every request through `route` (its cluster named there) to these clusters, validated and compiled. */
function compiled(route: Record<string, unknown>, clusters: TestConfig['clusters']) {
  const r = validateConfig(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route }]), clusters }))
  expect(r.errors).toEqual([])
  return compileConfig(r.config!)
}

const snapshot = (lb_policy: string, hash_policy: unknown[], extra: Record<string, unknown> = {}) =>
  compiled({ cluster: 'pool', hash_policy }, { pool: { endpoints: [upstreams.a!, upstreams.b!, upstreams.c!], lb_policy, ...extra } })

describe.each(['RING_HASH', 'MAGLEV'])('%s through the router', (policy) => {
  it('the same x-user header reaches the same upstream; users spread', async () => {
    const { request } = testApp(snapshot(policy, [{ header: { header_name: 'x-user' } }]))
    const idFor = async (user: string) => ((await (await request('http://x/h', { headers: { 'x-user': user } })).json()) as Echo).id
    const first = await idFor('alice')
    for (let i = 0; i < 10; i++) expect(await idFor('alice')).toBe(first)
    const ids = new Set<string>()
    for (let i = 0; i < 30; i++) ids.add(await idFor(`user-${i}`))
    expect(ids.size).toBe(3)
  })

  it('cookie affinity: the first response sets the cookie, later requests stick', async () => {
    const { request } = testApp(snapshot(policy, [{ cookie: { name: 'ev', ttl: '300s', path: '/' } }]))
    const first = await request('http://x/c')
    const setCookie = first.headers.get('set-cookie')
    expect(setCookie).toMatch(/^ev="[0-9a-f]{16}"; Max-Age=300; Path=\/; HttpOnly$/)
    const home = ((await first.json()) as Echo).id
    for (let i = 0; i < 10; i++) {
      const res = await request('http://x/c', { headers: { cookie: setCookie!.split(';')[0]! } })
      expect(res.headers.get('set-cookie')).toBeNull()
      expect(((await res.json()) as Echo).id).toBe(home)
    }
  })
})

describe('colo affinity through the router', () => {
  it('cf.colo AMS lands in eu-west (upstream b); elsewhere, every upstream', async () => {
    const ep = (port: number) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } })
    const geo = {
      endpoints: [],
      lb_policy: 'LEAST_REQUEST',
      metadata: { filter_metadata: { edgevoy: { colo_regions: { colos: { AMS: ['eu-west'] } } } } },
      // One locality a region (the helper's endpoints carry none).
      load_assignment: {
        cluster_name: 'geo',
        endpoints: [
          { locality: { region: 'us-east' }, lb_endpoints: [ep(upstreams.a!), ep(upstreams.c!)] },
          { locality: { region: 'eu-west' }, lb_endpoints: [ep(upstreams.b!)] },
        ],
      },
    }
    const { request } = testApp(compiled({ cluster: 'geo' }, { geo }))
    const from = async (colo?: string) =>
      ((await (await request('http://x/g', colo ? ({ cf: { colo } } as RequestInit) : {})).json()) as Echo).id
    for (let i = 0; i < 10; i++) expect(await from('AMS')).toBe('b')
    const elsewhere = new Set<string>()
    for (let i = 0; i < 30; i++) elsewhere.add(await from('SIN'))
    expect(elsewhere.size).toBe(3)
  })
})
