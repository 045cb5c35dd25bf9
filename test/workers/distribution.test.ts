/**
 * The fan-out of config versions and health reports through the location's
 * cache (issue 18, state/distribution.ts), in workerd with the real Cache
 * API, KV and health Durable Objects (the authorities and the hub):
 *  - two isolates of one location learn a host's failure from the hub's
 *    digest within the check interval plus a bounded delay, and the location
 *    holds one digest entry;
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
import { CONFIG_FRESH_MS, locationCachedConfig } from '../../src/state/config-source'
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
    const isolate = () => proxyFor(config, { health: true, clusterDeps: { health: locationDistribution(new WorkersLocationCache(cache), Date.now).health } })
    const proxies = [isolate(), isolate()]
    const cluster = proxies[0]!.snapshot.clusters.get('dist_health')!
    const traffic = () => Promise.all(proxies.map(async (p, i) => answeredBy(await p.fetch(`/t/${i}`))))
    const victim = `127.0.0.1:${ports[1]}`
    const failed = (p: (typeof proxies)[number]) => p.clusters.status(cluster).hosts.find((h) => h.address === victim)!.healthFlags.includes('failed_active_hc')

    await until(() => proxies.every((p) => p.clusters.status(cluster).healthReportAt !== undefined), 5000, traffic)
    expect(proxies.every((p) => p.clusters.status(cluster).healthReportAt !== undefined)).toBe(true)
    const hub = (env as unknown as { HEALTH: DurableObjectNamespace }).HEALTH
    const digest = await (hub.get(hub.idFromName(HUB_NAME)) as unknown as HealthHub).digest()
    expect(digest.reports.dist_health?.hash).toBe(cluster.hash)
    // The location holds one digest for every cluster, stamped by the isolate that fetched it.
    const entry = await cache.match('https://edgevoy-cache.internal/health/digest')
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

describe('config versions through the location cache', () => {
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
