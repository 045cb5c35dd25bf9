/**
 * The fan-out of config versions and health reports through the location's
 * cache (issue 18, state/distribution.ts), in workerd with the real Cache
 * API, KV and the health hub Durable Object (it runs every cluster's checks):
 *  - two isolates of one location learn a host's failure from the hub's
 *    answer within the check interval plus a bounded delay, and the location
 *    holds one entry of it;
 *  - the hub's answer carries the published config's version: KV is read
 *    only for a newer version, once per location (a versioned entry), and an
 *    isolate alone at its location does not put its own copy back;
 *  - one KV read serves the location; a version once served is never followed
 *    by an older one in the isolate, even when the location's copy lags; a
 *    copy not newer than what the isolate serves is judged by its headers
 *    (its body is never parsed).
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking
 */
import { env } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import { compileConfig } from '../../src/compile'
import { serializeSnapshot } from '../../src/compile/serialize'
import { loadConfig } from '../../src/config/load'
import { StatsStore } from '../../src/observability/stats'
import { CONFIG_FRESH_MS, HUB_CONFIG_AGE_MS, LAG_RETRY_MS, locationCachedConfig } from '../../src/state/config-source'
import { locationDistribution } from '../../src/state/distribution'
import { PUBLISHED_KEY, type PublishedConfig } from '../../src/state/published'
import { checkPublished } from '../../src/state/refresh'
import { Isolate } from '../../src/state/serving'
import type { StateEnv } from '../../src/state/env'
import { WorkersLocationCache } from '../../src/state/workers-cache'
import { ClusterManager } from '../../src/upstream/cluster-manager'
import { HUB_NAME, type HealthHub } from '../../src/upstream/health/authority'
import { controlClient } from '../support/control-client'
import { edgeYaml } from '../support/edge-yaml'
import { answeredBy, envoyConfig, proxyFor, sleep } from './health-harness'
import { upstreamStatus } from '../../src/upstream/cluster-status'

const control = controlClient(inject('upstreamControl'))
const upstreams = inject('upstreams')
const INTERVAL_MS = 200

async function until(cond: () => boolean, limitMs: number, tick: () => Promise<unknown> = async () => {}): Promise<number> {
  const start = Date.now()
  while (!cond() && Date.now() - start < limitMs) {
    await tick()
    await sleep(20)
  }
  return Date.now() - start
}

describe('health through the location cache and the hub', () => {
  it('two isolates of a location see a failed host within the check interval plus a bounded delay; the hub carries the report', async () => {
    const ids = ['dist-health-1', 'dist-health-2']
    const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
    for (const id of ids) await control.setBehavior(id, { healthy: true })
    const config = envoyConfig({
      name: 'dist_health',
      endpoints: ports.map((port) => ({ port })),
      extra: { health_checks: [{ timeout: '0.1s', interval: `${INTERVAL_MS / 1000}s`, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/health' } }] },
    })
    // One location (one named cache), two isolates (each its own distribution, as theIsolate() makes one per isolate).
    const cache = await caches.open(`dist-health-${Date.now()}`)
    let n = 0
    const isolate = () => proxyFor(config, { health: true, clusterDeps: { health: locationDistribution(new WorkersLocationCache(cache), Date.now, `isolate-${++n}`, Math.random).health } })
    const proxies = [isolate(), isolate()]
    const cluster = proxies[0]!.snapshot.clusters.get('dist_health')!
    const traffic = () => Promise.all(proxies.map(async (p, i) => answeredBy(await p.fetch(`/t/${i}`))))
    const victim = `127.0.0.1:${ports[1]}`
    const failed = (p: (typeof proxies)[number]) => upstreamStatus(p.clusters, cluster).hosts.find((h) => h.address === victim)!.healthFlags.includes('failed_active_hc')

    await until(() => proxies.every((p) => upstreamStatus(p.clusters, cluster).healthReportAt !== undefined), 5000, traffic)
    expect(proxies.every((p) => upstreamStatus(p.clusters, cluster).healthReportAt !== undefined)).toBe(true)
    const hub = (env as unknown as { HEALTH: DurableObjectNamespace }).HEALTH
    const digest = await (hub.get(hub.idFromName(HUB_NAME)) as unknown as HealthHub).digest()
    expect(digest.reports.dist_health?.hash).toBe(cluster.hash)
    // The location holds one answer for every cluster, stamped by the isolate that fetched it.
    const entry = await cache.match('https://edgevoy-cache.internal/hub/state')
    expect(Number(entry?.headers.get('x-edgevoy-fetched-at'))).toBeGreaterThan(0)
    await entry?.body?.cancel()

    await control.setBehavior(ids[1]!, { healthy: false })
    // One failed check (≤ an interval + its timeout), the hub's copy in the location (≤ a poll period
    // + the lease) and the isolate's poll (≤ a period): ~2 intervals + 1 s; generous on a loaded machine.
    const took = await until(() => proxies.every(failed), 5000, traffic)
    expect(proxies.every(failed)).toBe(true)
    expect(took).toBeLessThan(2 * INTERVAL_MS + 1000 + 2000)
    // And the failed host gets no traffic.
    const after = (await Promise.all([traffic(), traffic(), traffic()])).flat()
    expect(after.filter((a) => a === ids[1])).toEqual([])
  })
})

describe("config versions through the hub's answer", () => {
  it('KV is read only for a newer version, once per location; an older version never follows; a lone isolate does not re-put its copy', async () => {
    const kv = (env as unknown as StateEnv).CONFIG!
    const key = `test/distribution/hub/${Date.now()}`
    let reads = 0
    const countedKv = { get: (k: string, o: unknown) => (reads++, kv.get(k === PUBLISHED_KEY ? key : k, o as never)) } as unknown as KVNamespace
    // A hub of this test's own (the same class as hub:health), so other tests' versions do not mix in.
    const ns = (env as unknown as { HEALTH: DurableObjectNamespace }).HEALTH
    const hub = ns.get(ns.idFromName(`hub:dist-config-${Date.now()}`)) as unknown as HealthHub
    const cache = await caches.open(`dist-hub-${Date.now()}`)
    // The isolates' clock, moved past the copy's age limit between checks.
    let t = Date.now()
    const now = () => t
    const sources = ['iso-a', 'iso-b'].map((w) => locationDistribution(new WorkersLocationCache(cache, now), now, w, Math.random, () => () => hub).refresh.source)
    const stateEnv = { EDGEVOY_CONFIG: edgeYaml('up', upstreams.a!), CONFIG: countedKv, CONFIG_REFRESH_SECONDS: '5' } as StateEnv
    const makeIsolate = async () => {
      const iso = new Isolate({ clusters: new ClusterManager({ random: Math.random, now }), stats: new StatsStore(), random: Math.random, now })
      await iso.prepare(stateEnv)
      return iso
    }
    const [one, two] = [await makeIsolate(), await makeIsolate()]
    const publish = async (version: number, port: number, tell = version) => {
      await kv.put(key, JSON.stringify(publishedAt(version, port)))
      await hub.setConfigVersion(tell)
      t += HUB_CONFIG_AGE_MS + 1
    }
    const entryFetchedAt = async () => {
      const res = await cache.match('https://edgevoy-cache.internal/hub/state')
      await res?.body?.cancel()
      return res?.headers.get('x-edgevoy-fetched-at')
    }

    await publish(5, upstreams.b!)
    await checkPublished(one, stateEnv, countedKv, sources[0])
    await checkPublished(two, stateEnv, countedKv, sources[1])
    expect([one.current(stateEnv).version, two.current(stateEnv).version]).toEqual([5, 5])
    expect(reads).toBe(1)

    // Nothing new: the look says so, KV is not read. Isolate a alone refreshes the hub's answer:
    // its own stale entry is not put back (one cache read and one hub request per look).
    t += HUB_CONFIG_AGE_MS + 1
    const before = await entryFetchedAt()
    await checkPublished(one, stateEnv, countedKv, sources[0])
    expect(reads).toBe(1)
    expect(await entryFetchedAt()).toBe(before)

    await publish(7, upstreams.a!)
    await checkPublished(one, stateEnv, countedKv, sources[0])
    expect(one.current(stateEnv).version).toBe(7)
    expect(reads).toBe(2)

    // The hub knows 8 before this location's KV does: the older value is not installed over 7;
    // the location remembers the lag for LAG_RETRY_MS (isolate b does not read KV too), then
    // reads KV again and finds 8.
    await publish(7, upstreams.a!, 8)
    await checkPublished(one, stateEnv, countedKv, sources[0])
    expect(one.current(stateEnv).version).toBe(7)
    expect(reads).toBe(3)
    await kv.put(key, JSON.stringify(publishedAt(8, upstreams.b!)))
    await checkPublished(two, stateEnv, countedKv, sources[1])
    expect(two.current(stateEnv).version).toBe(7)
    expect(reads).toBe(3)
    t += LAG_RETRY_MS + 1
    await checkPublished(one, stateEnv, countedKv, sources[0])
    expect(one.current(stateEnv).version).toBe(8)
    expect(reads).toBe(4)
    await checkPublished(two, stateEnv, countedKv, sources[1])
    expect(two.current(stateEnv).version).toBe(8)
    expect(reads).toBe(4)
    // The hub is never told an older version; the isolate never installs one.
    await publish(6, upstreams.a!)
    await checkPublished(one, stateEnv, countedKv, sources[0])
    expect(one.current(stateEnv).version).toBe(8)
    expect(one.state(stateEnv).problem).toBeUndefined()
  })
})

function publishedAt(version: number, port: number): PublishedConfig {
  const loaded = loadConfig(edgeYaml('up', port))
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors))
  return { version, config: {}, createdAt: new Date().toISOString(), snapshot: serializeSnapshot(compileConfig(loaded.config)) }
}

describe('config versions through the location cache (no hub)', () => {
  const yaml = (port: number) => edgeYaml('up', port)
  const published = (version: number, port: number): PublishedConfig => {
    const loaded = loadConfig(yaml(port))
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors))
    return { version, config: {}, createdAt: new Date().toISOString(), snapshot: serializeSnapshot(compileConfig(loaded.config)) }
  }

  it('one KV read serves the location; a served version is never followed by an older one; a copy not newer is judged by its headers', async () => {
    const kv = (env as unknown as StateEnv).CONFIG!
    // The real KV namespace, under a key of this test's own, with its reads counted.
    const key = `test/distribution/${Date.now()}`
    let reads = 0
    const countedKv = { get: (k: string, o: unknown) => (reads++, kv.get(k === PUBLISHED_KEY ? key : k, o as never)) } as unknown as KVNamespace
    const cache = await caches.open(`dist-config-${Date.now()}`)
    const source = locationCachedConfig(new WorkersLocationCache(cache), Date.now)
    const stateEnv = { EDGEVOY_CONFIG: yaml(upstreams.a!), CONFIG: countedKv, CONFIG_REFRESH_SECONDS: '5' } as StateEnv
    const makeIsolate = async () => {
      const iso = new Isolate({ clusters: new ClusterManager({ random: Math.random, now: Date.now }), stats: new StatsStore(), random: Math.random, now: Date.now })
      await iso.prepare(stateEnv)
      return iso
    }
    const [one, two] = [await makeIsolate(), await makeIsolate()]

    await kv.put(key, JSON.stringify(published(5, upstreams.b!)))
    await checkPublished(one, stateEnv, countedKv, source)
    expect(one.current(stateEnv).version).toBe(5)
    await checkPublished(two, stateEnv, countedKv, source)
    expect(two.current(stateEnv).version).toBe(5)
    expect(reads).toBe(1)

    // A lagging copy of an older version in the location (another isolate's slower KV read):
    // its version header says "not newer", so the body — here not even JSON — is never read.
    const lagging = (version: number, fetchedAt: number, body: string) =>
      cache.put('https://edgevoy-cache.internal/config/current', new Response(body, { headers: { 'cache-control': 'max-age=60', 'x-edgevoy-fetched-at': String(fetchedAt), 'x-edgevoy-lease-until': '0', 'x-edgevoy-version': String(version) } }))
    await lagging(3, Date.now(), 'not json')
    await checkPublished(one, stateEnv, countedKv, source)
    expect(one.current(stateEnv).version).toBe(5)
    expect(one.state(stateEnv).problem).toBeUndefined()
    expect(reads).toBe(1)

    // KV has a newer version; the location's copy is fresh for CONFIG_FRESH_MS, then read again.
    await kv.put(key, JSON.stringify(published(7, upstreams.a!)))
    await lagging(5, Date.now() - CONFIG_FRESH_MS - 1, JSON.stringify(published(5, upstreams.b!)))
    await checkPublished(one, stateEnv, countedKv, source)
    expect(one.current(stateEnv).version).toBe(7)
    expect(reads).toBe(2)
    // An older version arriving later (a lagging KV replica stored by another isolate) never replaces it.
    await lagging(6, Date.now() - CONFIG_FRESH_MS - 1, JSON.stringify(published(6, upstreams.b!)))
    await kv.put(key, JSON.stringify(published(6, upstreams.b!)))
    await checkPublished(one, stateEnv, countedKv, source)
    expect(one.current(stateEnv).version).toBe(7)
  })
})

describe('where the Cache API keeps nothing (*.workers.dev, the dashboard preview)', () => {
  it('the location cache notices after three of its own puts went missing and callers go to the origin', async () => {
    // workerd keeps what is put; a Cache that keeps nothing is how *.workers.dev behaves
    // (https://developers.cloudflare.com/workers/runtime-apis/cache/), not reproducible locally.
    let puts = 0
    const keepsNothing = { match: async () => undefined, put: async () => void puts++ } as unknown as Cache
    const cache = new WorkersLocationCache(keepsNothing)
    let loads = 0
    const source = locationCachedConfig(cache, Date.now)
    const kv = { get: async () => (loads++, null) } as unknown as KVNamespace
    for (let i = 0; i < 6; i++) await source.read(kv, 0)
    expect(cache.effective).toBe(false)
    expect(loads).toBe(6)
    // Three of its entries came back missing (four puts); from then on no more puts, the reads go straight to KV.
    expect(puts).toBe(4)
  })
})
