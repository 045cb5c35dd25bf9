/**
 * Locality: colo affinity (edgevoy's Workers twist) and locality_weighted_lb_config.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/locality_weight
 * https://developers.cloudflare.com/workers/runtime-apis/request/#incomingrequestcfproperties
 */
import { afterAll, describe, expect, inject, it } from 'vitest'
import type { Cluster, Host, LbPolicy } from '../../src/compile/types'
import { LOAD_BALANCERS, lbStats } from '../../src/upstream/lb'
import { preferredRegions } from '../../src/upstream/lb/locality'
import { controlClient, type EchoBody } from '../support/control-client'
import { seededRandom, testCluster, testHost, withLbConfig } from '../support/hosts'

const inRegion = (h: Host, region: string, zone = 'a', localityWeight?: number): Host => ({ ...h, locality: { region, zone }, localityWeight })
const colo_regions = {
  colos: { AMS: ['eu-west', 'eu-central'], IAD: 'us-east' },
  continents: { EU: ['eu-central'], NA: ['us-east'] },
}
const clusterOf = (name: string, hosts: Host[], policy: LbPolicy, extra: Record<string, unknown> = {}): Cluster =>
  withLbConfig(testCluster(name, hosts, policy), { metadata: { filter_metadata: { edgevoy: { colo_regions } } }, ...extra })
const fromColo = (colo: string, continent?: string) => new Request('http://x/', { cf: { colo, continent } } as RequestInit)

const hosts = [
  inRegion(testHost({ port: 8501 }), 'eu-west'),
  inRegion(testHost({ port: 8502 }), 'eu-west', 'b'),
  inRegion(testHost({ port: 8503 }), 'eu-central'),
  inRegion(testHost({ port: 8504 }), 'us-east'),
  inRegion(testHost({ port: 8505 }), 'ap-south'),
]
const region = (h: Host | undefined) => h?.locality.region
const POLICIES = Object.keys(LOAD_BALANCERS) as LbPolicy[]

describe('preferredRegions', () => {
  it('colo first (case-insensitive), then continent, else none', () => {
    const map = { colos: { AMS: ['eu-west'] }, continents: { NA: ['us-east'] } }
    expect(preferredRegions(fromColo('ams'), map)).toEqual(['eu-west'])
    expect(preferredRegions(fromColo('ORD', 'NA'), map)).toEqual(['us-east'])
    expect(preferredRegions(fromColo('SIN', 'AS'), map)).toEqual([])
    expect(preferredRegions(new Request('http://x/'), map)).toEqual([])
  })
})

describe.each(POLICIES)('colo affinity with %s', (policy) => {
  const cluster = clusterOf('loc', hosts, policy)
  const deps = { random: seededRandom(9), now: () => 0, cluster }

  it('10,000 requests from AMS all land in eu-west while it has hosts', () => {
    const lb = LOAD_BALANCERS[policy](hosts, deps)
    const request = fromColo('AMS', 'EU')
    const seen = new Set(Array.from({ length: 10_000 }, () => region(lb.chooseHost({ request }))))
    expect(seen).toEqual(new Set(['eu-west']))
  })

  it('fails over in preference order as regions lose their (healthy) hosts', () => {
    const request = fromColo('AMS', 'EU')
    const withoutWest = LOAD_BALANCERS[policy](hosts.filter((h) => region(h) !== 'eu-west'), deps)
    expect(region(withoutWest.chooseHost({ request }))).toBe('eu-central')
    const neither = LOAD_BALANCERS[policy](hosts.filter((h) => !region(h)!.startsWith('eu')), deps)
    expect(['us-east', 'ap-south']).toContain(region(neither.chooseHost({ request })))
  })

  it('a retry that excludes the home hosts goes on to the next region', () => {
    const lb = LOAD_BALANCERS[policy](hosts, deps)
    const exclude = new Set(hosts.filter((h) => region(h) === 'eu-west'))
    expect(region(lb.chooseHost({ request: fromColo('AMS'), exclude }))).toBe('eu-central')
  })

  it('continent fallback, and no cf at all uses every host', () => {
    const lb = LOAD_BALANCERS[policy](hosts, deps)
    expect(region(lb.chooseHost({ request: fromColo('ORD', 'NA') }))).toBe('us-east')
    const seen = new Set(Array.from({ length: 500 }, () => lb.chooseHost({ request: new Request('http://x/') })))
    expect(seen.size).toBe(5)
  })
})

describe('locality_weighted_lb_config', () => {
  it('picks localities by their weight (1:3), hosts by the policy within', () => {
    const weighted = [inRegion(testHost({ port: 8601 }), 'r1', 'a', 1), inRegion(testHost({ port: 8602 }), 'r2', 'a', 3), inRegion(testHost({ port: 8603 }), 'r2', 'a', 3)]
    const cluster = withLbConfig(testCluster('lw', weighted), { common_lb_config: { locality_weighted_lb_config: {} } })
    const lb = LOAD_BALANCERS.ROUND_ROBIN(weighted, { random: seededRandom(4), now: () => 0, cluster })
    const r2 = Array.from({ length: 10_000 }, () => lb.chooseHost()).filter((h) => region(h) === 'r2').length
    expect(r2 / 10_000).toBeCloseTo(0.75, 1)
  })
})

describe('lbStats', () => {
  it('counts picks per host of the named cluster', () => {
    const cluster = clusterOf('stats-cluster', hosts, 'ROUND_ROBIN')
    const lb = LOAD_BALANCERS.ROUND_ROBIN(hosts, { random: seededRandom(1), now: () => 0, cluster })
    for (let i = 0; i < 10; i++) lb.chooseHost({ request: fromColo('IAD') })
    expect(lbStats('stats-cluster')).toEqual({ '127.0.0.1:8504': { picks: 10, active: 0 } })
  })
})

describe('colo affinity against real upstreams, with health', () => {
  const control = controlClient(inject('upstreamControl'))
  const ids = { 'lb-loc-eu-1': 'eu-west', 'lb-loc-eu-2': 'eu-west', 'lb-loc-us': 'us-east' }
  afterAll(async () => {
    for (const id of Object.keys(ids)) await control.kill(id).catch(() => undefined)
  })

  it('AMS lands in eu-west while healthy, fails over to us-east when not, and comes back', async () => {
    const all = await Promise.all(Object.entries(ids).map(async ([id, r]) => inRegion(testHost({ port: (await control.start(id)).port }), r)))
    const cluster = clusterOf('loc-e2e', all, 'LEAST_REQUEST', {})
    // What the cluster manager does: rebuild the balancer from the hosts whose health check passes.
    const healthyBalancer = async () => {
      const healthy = []
      for (const h of all) if ((await fetch(`${h.origin}/health`)).ok) healthy.push(h)
      return LOAD_BALANCERS.LEAST_REQUEST(healthy, { random: seededRandom(2), now: () => 0, cluster })
    }
    const send = async (lb: Awaited<ReturnType<typeof healthyBalancer>>) => {
      const request = fromColo('AMS', 'EU')
      const host = lb.chooseHost({ request })!
      return ((await (await fetch(`${host.origin}/where`)).json()) as EchoBody).id
    }
    const round = async () => {
      const lb = await healthyBalancer()
      return new Set(await Promise.all(Array.from({ length: 20 }, () => send(lb))))
    }

    expect(await round()).toEqual(new Set(['lb-loc-eu-1', 'lb-loc-eu-2']))
    await control.setBehavior('lb-loc-eu-1', { healthy: false })
    expect(await round()).toEqual(new Set(['lb-loc-eu-2']))
    await control.setBehavior('lb-loc-eu-2', { healthy: false })
    expect(await round()).toEqual(new Set(['lb-loc-us']))
    await control.setBehavior('lb-loc-eu-1', {})
    expect(await round()).toEqual(new Set(['lb-loc-eu-1']))
  })
})
