/**
 * The health hub's answer and config versions through D1 (the optional
 * `EDGEVOY_DB` binding; upstream/health/hub-row.ts, state/config-rows.ts), in
 * workerd with real local D1, KV, the Cache API and the hub Durable Object:
 *  - a host's failure, found by the hub's checks, reaches two isolates of a
 *    location through the hub's D1 row within the check interval plus a
 *    bounded delay — with no request to the hub while the row is live;
 *  - without a table, with an old or a paused row, or when the query fails,
 *    a look asks the hub itself, as without D1;
 *  - a new version is read from its rows (no KV read); a version announced
 *    without rows is read from KV; an older version never follows a newer one.
 * Tests that own their rows rename the tables (a wrapper around the real D1
 * binding), so the hub's own row, written by other tests' hub, never mixes in.
 * https://developers.cloudflare.com/d1/platform/pricing/
 */
import { createExecutionContext, env } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import { compileConfig } from '../../src/compile'
import { serializeSnapshot } from '../../src/compile/serialize'
import { loadConfig } from '../../src/config/load'
import { StatsStore } from '../../src/observability/stats'
import { buildListenerApp } from '../../src/router/app'
import { HUB_CONFIG_AGE_MS } from '../../src/state/config-source'
import { readConfigRows, writeConfigRows, CONFIG_ROW_CHARS } from '../../src/state/config-rows'
import { locationDistribution } from '../../src/state/distribution'
import type { StateEnv } from '../../src/state/env'
import { PUBLISHED_KEY, type PublishedConfig } from '../../src/state/published'
import { checkPublished } from '../../src/state/refresh'
import { Isolate } from '../../src/state/serving'
import { WorkersLocationCache } from '../../src/state/workers-cache'
import { ClusterManager } from '../../src/upstream/cluster-manager'
import { HUB_NAME, type HealthDigest, type HealthHub } from '../../src/upstream/health/authority'
import { HUB_ROW_LIVE_MS, readHubRow, rowFirstHub } from '../../src/upstream/health/hub-row'
import { HubRowWriter } from '../../src/upstream/health/hub-row-writer'
import { controlClient } from '../support/control-client'
import { edgeYaml } from '../support/edge-yaml'
import { answeredBy, envoyConfig, sleep } from './health-harness'
import { upstreamStatus } from '../../src/upstream/cluster-status'

const control = controlClient(inject('upstreamControl'))
const upstreams = inject('upstreams')
const INTERVAL_MS = 200
const realDb = () => (env as unknown as { EDGEVOY_DB: D1Database }).EDGEVOY_DB
const healthNs = () => (env as unknown as { HEALTH: DurableObjectNamespace }).HEALTH

/** The real local D1 with this test's own tables and its queries counted. */
function renamedDb(suffix: string, counts = { queries: 0 }, fail = () => false): D1Database & { counts: typeof counts } {
  const db = realDb()
  const rename = (sql: string) => sql.replaceAll('edgevoy_hub', `edgevoy_hub_${suffix}`).replaceAll('edgevoy_config', `edgevoy_config_${suffix}`)
  const prepare = (sql: string) => {
    counts.queries++
    if (fail()) throw new Error('D1_ERROR: simulated outage')
    return db.prepare(rename(sql))
  }
  return { prepare, batch: (s: D1PreparedStatement[]) => db.batch(s), counts } as unknown as D1Database & { counts: typeof counts }
}

async function until(cond: () => boolean, limitMs: number, tick: () => Promise<unknown> = async () => {}): Promise<number> {
  const start = Date.now()
  while (!cond() && Date.now() - start < limitMs) {
    await tick()
    await sleep(20)
  }
  return Date.now() - start
}

const digestOf = (generatedAt: number, configVersion: number): HealthDigest => ({ generatedAt, reports: {}, configVersion })

describe("the hub's D1 row, or the hub", () => {
  it('a look asks the hub when there is no table, when the row is old or paused, and when the query fails; else it reads the row', async () => {
    let outage = false
    const db = renamedDb(`fallback_${Date.now()}`, { queries: 0 }, () => outage)
    let asked = 0
    const hub = (): HealthHub => ({ digest: async () => (asked++, digestOf(Date.now(), 99)), setConfigVersion: async () => {} })
    const look = rowFirstHub(hub, db, Date.now)

    // No table yet: "no such table" is "no data".
    expect((await look().digest()).configVersion).toBe(99)
    expect(asked).toBe(1)
    // A live row answers; the hub is not asked.
    const writer = new HubRowWriter(db)
    expect(await writer.publish(digestOf(Date.now(), 3))).toBe(true)
    expect((await look().digest()).configVersion).toBe(3)
    expect(asked).toBe(1)
    // Unchanged and before the heartbeat: nothing written; a change is written at once.
    expect(await writer.publish(digestOf(Date.now(), 3))).toBe(false)
    expect(await writer.publish(digestOf(Date.now(), 4))).toBe(true)
    expect((await readHubRow(db, Date.now))?.configVersion).toBe(4)
    // Counters and times are not what isolates act on (the heartbeat carries them); a host's flags are.
    const host = (activeFailed: boolean, checks: number) => ({ activeFailed, timedOut: false, immediateFail: false, override: undefined, lastPassAt: checks, consecutiveFailures: 0, consecutiveSuccesses: checks, checks })
    const withHost = (activeFailed: boolean, checks: number): HealthDigest => ({ generatedAt: Date.now(), configVersion: 4, reports: { c: { cluster: 'c', hash: 'h', generatedAt: Date.now(), hosts: { 'a:1': host(activeFailed, checks) } } } })
    expect(await writer.publish(withHost(false, 1))).toBe(true)
    expect(await writer.publish(withHost(false, 2))).toBe(false)
    expect(await writer.publish(withHost(true, 3))).toBe(true)
    expect((await readHubRow(db, Date.now))?.reports.c?.hosts['a:1']?.activeFailed).toBe(true)
    // A row older than HUB_ROW_LIVE_MS is a hub that stopped writing.
    expect(await writer.publish(digestOf(Date.now() - HUB_ROW_LIVE_MS - 1, 5))).toBe(true)
    expect((await look().digest()).configVersion).toBe(99)
    expect(asked).toBe(2)
    // A paused hub (no look for a day) marks its row: readers ask it, which resumes its checks.
    await writer.publish(digestOf(Date.now(), 6))
    expect((await look().digest()).configVersion).toBe(6)
    await writer.pause()
    expect((await look().digest()).configVersion).toBe(99)
    expect(asked).toBe(3)
    // D1 failing: the hub answers; a failed write throws (the hub logs it and writes again later).
    outage = true
    expect((await look().digest()).configVersion).toBe(99)
    expect(asked).toBe(4)
    await expect(writer.publish(digestOf(Date.now(), 7))).rejects.toThrow(/outage/)
    outage = false
    expect(await writer.publish(digestOf(Date.now(), 7))).toBe(true)
    // The table dropped under the writer (a reset database): the next write creates it again.
    await db.prepare('DROP TABLE edgevoy_hub').run()
    await expect(writer.publish(digestOf(Date.now(), 8))).rejects.toThrow()
    expect(await writer.publish(digestOf(Date.now(), 8))).toBe(true)
    expect((await look().digest()).configVersion).toBe(8)
    expect(asked).toBe(4)
  })

  it("two isolates of a location see a failed host through the hub's row within the check interval plus a bounded delay, asking the hub nothing", async () => {
    const ids = ['d1-health-1', 'd1-health-2']
    const ports = await Promise.all(ids.map(async (id) => (await control.start(id)).port))
    for (const id of ids) await control.setBehavior(id, { healthy: true })
    const configJson = envoyConfig({
      name: 'd1_health',
      endpoints: ports.map((port) => ({ port })),
      extra: { health_checks: [{ timeout: '0.1s', interval: `${INTERVAL_MS / 1000}s`, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/health' } }] },
    })
    const loaded = loadConfig(configJson)
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors))
    const snapshot = compileConfig(loaded.config)
    // What the isolates ask: the hub (digest, poll, register) and D1 (the hub's row), counted.
    const asked: Record<string, number> = {}
    const ns = healthNs()
    const countedNs = {
      idFromName: (n: string) => ns.idFromName(n),
      get: (id: DurableObjectId) => {
        const stub = ns.get(id) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
        return new Proxy({}, { get: (_, m: string) => (...a: unknown[]) => ((asked[m] = (asked[m] ?? 0) + 1), stub[m]!(...a)) })
      },
    }
    const d1 = { queries: 0 }
    const countedDb = { prepare: (sql: string) => (d1.queries++, realDb().prepare(sql)) }
    const workerEnv = { HEALTH: countedNs, EDGEVOY_DB: countedDb }
    const cache = await caches.open(`d1-health-${Date.now()}`)
    const isolates = ['iso-1', 'iso-2'].map((w) => {
      const clusters = new ClusterManager({ random: Math.random, now: Date.now, health: locationDistribution(new WorkersLocationCache(cache), Date.now, w, Math.random).health })
      const app = buildListenerApp(snapshot, snapshot.listeners[0]!, { fetch: (i, init) => fetch(i, init), bindings: {}, clusters, random: Math.random, now: Date.now })
      return { clusters, fetch: (path: string) => app.fetch(new Request(`http://edge.test${path}`), workerEnv, createExecutionContext()) }
    })
    const cluster = snapshot.clusters.get('d1_health')!
    const traffic = () => Promise.all(isolates.map(async (p, i) => answeredBy(await p.fetch(`/t/${i}`))))
    const victim = `127.0.0.1:${ports[1]}`
    const failed = (p: (typeof isolates)[number]) => upstreamStatus(p.clusters, cluster).hosts.find((h) => h.address === victim)!.healthFlags.includes('failed_active_hc')

    // Warm-up: the first looks find no row with this cluster (or none at all) and ask the hub, which registers it and writes its row.
    await until(() => isolates.every((p) => upstreamStatus(p.clusters, cluster).healthReportAt !== undefined), 5000, traffic)
    const row = await readHubRow(realDb(), Date.now)
    expect(row?.reports.d1_health?.hash).toBe(cluster.hash)
    await sleep(500)
    await traffic()
    for (const k of Object.keys(asked)) delete asked[k]
    d1.queries = 0

    await control.setBehavior(ids[1]!, { healthy: false })
    // One failed check (≤ an interval + its timeout), the row written at once, the isolates' copy (≤ 1.6 intervals) and their poll (≤ half an interval).
    const took = await until(() => isolates.every(failed), 5000, traffic)
    expect(isolates.every(failed)).toBe(true)
    expect(took).toBeLessThan(2 * INTERVAL_MS + 1000 + 2000)
    const after = (await Promise.all([traffic(), traffic(), traffic()])).flat()
    expect(after.filter((a) => a === ids[1])).toEqual([])
    // Everything came from the row: D1 was read, the hub was asked nothing.
    expect(d1.queries).toBeGreaterThan(0)
    expect(asked).toEqual({})
    // The row says what the hub says.
    const hub = ns.get(ns.idFromName(HUB_NAME)) as unknown as HealthHub
    expect((await hub.digest()).reports.d1_health?.hosts[victim]?.activeFailed).toBe(true)
    expect((await readHubRow(realDb(), Date.now))?.reports.d1_health?.hosts[victim]?.activeFailed).toBe(true)
    await control.setBehavior(ids[1]!, { healthy: true })
  })
})

describe('config versions as D1 rows', () => {
  it('a newer version is read from its rows (no KV read); without rows from KV; an older version never follows a newer one', async () => {
    const kv = (env as unknown as StateEnv).CONFIG!
    const key = `test/distribution-d1/${Date.now()}`
    let reads = 0
    const countedKv = { get: (k: string, o: unknown) => (reads++, kv.get(k === PUBLISHED_KEY ? key : k, o as never)) } as unknown as KVNamespace
    const db = renamedDb(`config_${Date.now()}`)
    // A hub of this test's own (the same class as hub:health: it writes no row), told each version.
    const ns = healthNs()
    const hub = ns.get(ns.idFromName(`hub:d1-config-${Date.now()}`)) as unknown as HealthHub
    const cache = await caches.open(`d1-config-${Date.now()}`)
    let t = Date.now()
    const now = () => t
    const sources = ['iso-a', 'iso-b'].map((w) => locationDistribution(new WorkersLocationCache(cache, now), now, w, Math.random, () => () => hub).refresh.source)
    const stateEnv = { EDGEVOY_CONFIG: edgeYaml('up', upstreams.a!), CONFIG: countedKv, CONFIG_REFRESH_SECONDS: '5', EDGEVOY_DB: db } as unknown as StateEnv
    const makeIsolate = async () => {
      const iso = new Isolate({ clusters: new ClusterManager({ random: Math.random, now }), stats: new StatsStore(), random: Math.random, now })
      await iso.prepare(stateEnv)
      return iso
    }
    const [one, two] = [await makeIsolate(), await makeIsolate()]
    // As the config authority publishes: KV, then the rows, then the hub (src/admin/authority.ts).
    const publish = async (version: number, port: number, o: { rows?: boolean; kvVersion?: number } = {}) => {
      await kv.put(key, JSON.stringify(publishedAt(o.kvVersion ?? version, port)))
      if (o.rows !== false) await writeConfigRows(db, publishedAt(version, port))
      await hub.setConfigVersion(version)
      t += HUB_CONFIG_AGE_MS + 1
    }

    await publish(5, upstreams.b!)
    await checkPublished(one, stateEnv, countedKv, sources[0])
    await checkPublished(two, stateEnv, countedKv, sources[1])
    expect([one.current(stateEnv).version, two.current(stateEnv).version]).toEqual([5, 5])
    expect(reads).toBe(0)

    await publish(7, upstreams.a!)
    await checkPublished(one, stateEnv, countedKv, sources[0])
    expect(one.current(stateEnv).version).toBe(7)
    expect(reads).toBe(0)

    // Announced without rows (a failed D1 write): KV answers — here a lagging replica with 6, which is not installed over 7.
    await publish(8, upstreams.b!, { rows: false, kvVersion: 6 })
    await checkPublished(one, stateEnv, countedKv, sources[0])
    expect(one.current(stateEnv).version).toBe(7)
    expect(one.state(stateEnv).problem).toBeUndefined()
    expect(reads).toBe(1)
    // The next version with its rows: both isolates move on to it, KV untouched.
    await publish(9, upstreams.a!)
    await checkPublished(one, stateEnv, countedKv, sources[0])
    await checkPublished(two, stateEnv, countedKv, sources[1])
    expect([one.current(stateEnv).version, two.current(stateEnv).version]).toEqual([9, 9])
    expect(reads).toBe(1)
  })

  it('a version larger than a row is split into parts and read back whole; a missing part means KV', async () => {
    const db = renamedDb(`parts_${Date.now()}`)
    const big: PublishedConfig = { version: 3, config: { pad: 'x'.repeat(2 * CONFIG_ROW_CHARS + 10) }, createdAt: new Date().toISOString() }
    await writeConfigRows(db, big)
    expect((await readConfigRows(db, 3))?.config).toEqual(big.config)
    const { results } = await db.prepare('SELECT count(*) AS n FROM edgevoy_config WHERE version = 3').all<{ n: number }>()
    expect(results[0]!.n).toBe(3)
    await db.prepare('DELETE FROM edgevoy_config WHERE version = 3 AND part = 1').run()
    expect(await readConfigRows(db, 3)).toBeUndefined()
    expect(await readConfigRows(db, 4)).toBeUndefined()
  })
})

function publishedAt(version: number, port: number): PublishedConfig {
  const loaded = loadConfig(edgeYaml('up', port))
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors))
  return { version, config: {}, createdAt: new Date().toISOString(), snapshot: serializeSnapshot(compileConfig(loaded.config)) }
}
