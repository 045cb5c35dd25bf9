/**
 * What the simulated isolates talk to, with round trips and counts: Workers
 * KV (a central store and a per-location read cache honouring `cacheTtl`,
 * default 60 s — KV's documented propagation bound), one health authority
 * Durable Object per cluster in one place (reports flip when a host's health
 * changes), and each location's Cache API (free, local, no time).
 * https://developers.cloudflare.com/kv/concepts/how-kv-works/
 */
import type { CacheMeta, LocationCache } from '../../src/upstream/location-cache.js'
import type { HealthAuthority, HealthDigest, HealthHub } from '../../src/upstream/health/authority.js'
import type { ClusterHealthReport } from '../../src/upstream/health/flags.js'
import { HUB_ROW_SELECT, type D1Like } from '../../src/upstream/health/hub-row.js'
import type { HubRowWriter } from '../../src/upstream/health/hub-row-writer.js'
import { CONFIG_ROWS_SELECT, type ConfigRowsDb } from '../../src/state/config-rows.js'
import { operation, type Clock, type Thread } from './events.js'

/** What background work costs, counted exactly. */
export class Counters {
  /** KV reads the isolates make. */
  kvReads = 0
  /** KV reads the hub makes (its config-version recheck). */
  hubKvReads = 0
  /** Alarm invocations of the authorities (each a billed Durable Object request). */
  alarms = 0
  /** Every operation by kind (`kv`, `do:<method>`, `cache:get`, `cache:put`, `alarm`), for the breakdown. */
  readonly byKind: Record<string, number> = {}
  doRequests = 0
  /** Durable Object requests the isolates make (polls, registrations, digests), without the authorities' publishing. */
  isolateDoRequests = 0
  readonly byMethod: Record<string, number> = {}
  cacheOps = 0
  /** D1 queries the isolates make (subrequests), the rows they read, and the rows the hub and the config authority write. */
  d1Queries = 0
  d1Reads = 0
  d1Writes = 0
  /** When each look reached the origin (a hub digest or a D1 hub-row query; the first 5000), for comparing with the runtime's. */
  readonly looks: number[] = []
  /** Per authority, requests per 1-second bucket. */
  readonly perDo = new Map<string, number[]>()
  constructor(readonly from: number) {}
  kind(k: string, now: number): void {
    if (now >= this.from) this.byKind[k] = (this.byKind[k] ?? 0) + 1
  }
  do(name: string, now: number, fromIsolate = true, method = 'poll'): void {
    if (now < this.from) return
    this.kind(`do:${method}`, now)
    this.doRequests++
    if (method === 'alarm') this.alarms++
    if (fromIsolate) this.byMethod[method] = (this.byMethod[method] ?? 0) + 1
    if (fromIsolate) this.isolateDoRequests++
    let b = this.perDo.get(name)
    if (!b) this.perDo.set(name, (b = []))
    const i = Math.floor((now - this.from) / 1000)
    b[i] = (b[i] ?? 0) + 1
  }
}

export const PUBLISHED_KEY = 'edgevoy/config/current'

/** KV: writes land centrally at once; a location serves its cached copy until `cacheTtl` runs out. */
export class KvModel {
  central: unknown = null
  constructor(readonly clock: Clock, readonly counters: Counters) {}

  /** `kind`: how the breakdown names these reads (`kv:new-version` where the design reads KV only for a newer version). */
  namespace(location: { kvCache: Map<string, { value: unknown; at: number }>; rttMs: number }, kind = 'kv', thread?: Thread): KVNamespace {
    const get = async (key: string, opts?: unknown) => {
      if (this.clock.now >= this.counters.from) this.counters.kvReads++
      this.counters.kind(kind, this.clock.now)
      const ttlS = typeof opts === 'object' && opts && 'cacheTtl' in opts ? Number((opts as { cacheTtl: number }).cacheTtl) : 60
      const hit = location.kvCache.get(key)
      if (hit && this.clock.now - hit.at < ttlS * 1000) {
        await operation(this.clock, thread, 2)
        return hit.value
      }
      await operation(this.clock, thread, location.rttMs)
      location.kvCache.set(key, { value: this.central, at: this.clock.now })
      return this.central
    }
    return { get } as unknown as KVNamespace
  }
}

/**
 * A cluster's health authority: its report says host `h0` failed from
 * `changeAt` on. Its requests land on `object`: the hub (the runtime's one
 * object for every cluster) or, in the per-cluster what-if, its own.
 */
export class AuthorityModel {
  readonly #before: ClusterHealthReport
  readonly #after: ClusterHealthReport
  /** Registered: the fleet has run long before (the scale runs); not yet: the runtime comparison starts cold. */
  registered = true
  object: string
  constructor(readonly name: string, readonly hash: string, readonly clock: Clock, readonly counters: Counters, readonly changeAt: number) {
    this.object = 'hub'
    this.#before = { cluster: name, hash, generatedAt: 0, hosts: { h0: host(false) } }
    this.#after = { cluster: name, hash, generatedAt: changeAt, hosts: { h0: host(true) } }
  }

  /** The report as of `now` (what the authority publishes to the hub). */
  report(now: number): ClusterHealthReport {
    return { ...(now >= this.changeAt ? this.#after : this.#before), generatedAt: now }
  }

  stub(rttMs: number, thread?: Thread): HealthAuthority {
    return {
      poll: async (hash: string) => {
        this.counters.do(this.object, this.clock.now)
        await operation(this.clock, thread, rttMs)
        if (hash !== this.hash || !this.registered) return 'unregistered'
        return this.clock.now >= this.changeAt ? this.#after : this.#before
      },
      register: async () => {
        this.counters.do(this.object, this.clock.now, true, 'register')
        await operation(this.clock, thread, rttMs)
        this.registered = true
      },
      reportImmediateFail: async () => {},
      setOverride: async () => 'unknown_host',
    }
  }
}

/**
 * The hub: one object runs every cluster's checks in one alarm per interval
 * (each alarm a billed request); a digest carries every cluster's report and — when `config` is
 * given — the latest published config version, which the config authority
 * tells the hub as it publishes (so at once) and the hub re-reads from KV
 * every CONFIG_RECHECK_MS (counted as the hub's KV reads).
 * `perCluster`: the design before (and a what-if): one authority object per
 * cluster, each with its own alarm, publishing its report to the hub.
 */
export class HubModel {
  constructor(
    readonly authorities: readonly AuthorityModel[],
    readonly clock: Clock,
    readonly counters: Counters,
    intervalMs: number,
    endMs: number,
    readonly config?: { version: () => number; recheckMs: number },
    perCluster = false,
    /** With D1: the hub's row writer (src/upstream/health/hub-row.ts), run after every alarm and every config notice. */
    readonly row?: HubRowWriter,
  ) {
    for (const a of authorities) a.object = perCluster ? a.name : 'hub'
    if (!perCluster)
      for (let t = 0; t <= endMs; t += intervalMs)
        clock.at(t, () => {
          counters.do('hub', clock.now, false, 'alarm')
          // As of the alarm's own time (the clock runs a millisecond's events at its first event's time).
          this.publishRow(t)
        })
    else
      authorities.forEach((a, i) => {
        for (let t = (i * intervalMs) / authorities.length; t <= endMs; t += intervalMs)
          clock.at(t, () => {
            if (!a.registered) return
            counters.do(a.name, clock.now, false, 'alarm')
            counters.do('hub', clock.now, false, 'publish')
          })
      })
    if (config)
      for (let t = 0; t <= endMs; t += config.recheckMs)
        clock.at(t, () => {
          if (clock.now < counters.from) return
          counters.hubKvReads++
          counters.kind('kv:hub', clock.now)
        })
  }

  /** The hub's answer as of `now`. */
  digest(now = this.clock.now): HealthDigest {
    const reports = Object.fromEntries(this.authorities.filter((a) => a.registered).map((a) => [a.name, a.report(now)]))
    return { generatedAt: now, reports, ...(this.config ? { configVersion: this.config.version() } : {}) }
  }

  /** The config authority told the hub of a new version at `at` (with D1: written to the row at once). */
  published(at: number): void {
    this.publishRow(at)
  }

  publishRow(at: number): void {
    if (this.row) void this.row.publish(this.digest(Math.max(at, this.clock.now)))
  }

  stub(rttMs: number, thread?: Thread): HealthHub {
    return {
      digest: async (): Promise<HealthDigest> => {
        this.counters.do('hub', this.clock.now, true, 'digest')
        if (this.clock.now >= this.counters.from && this.counters.looks.length < 5000) this.counters.looks.push(this.clock.now)
        await operation(this.clock, thread, rttMs)
        return this.digest()
      },
      setConfigVersion: async () => {},
    }
  }
}

const host = (failed: boolean) => ({ activeFailed: failed, timedOut: false, immediateFail: false, override: undefined, lastPassAt: 0, consecutiveFailures: 0, consecutiveSuccesses: 0, checks: 0 })

/**
 * A location's Cache API: free and local; entries expire after `keepMs`; each operation takes `latencyMs`
 * (or one of `samples` — `putSamples` for puts — the runtime comparison). Operations finish in the order they were made: the cache
 * serves them in turn (in Miniflare it is one Durable Object, miniflare/dist/src/workers/cache), so a
 * match made after a put sees what the put wrote. `busy` (the runtime comparison, sorted, disjoint): when
 * the runtime's cache or process was held up — an operation in flight then finishes when that ended, as
 * every isolate's did in the runtime; replaying them keeps the isolates' slow operations slow together
 * instead of each drawing its own.
 */
export class CacheModel implements LocationCache {
  readonly effective = true
  readonly #entries = new Map<string, { meta: CacheMeta; value: unknown; until: number }>()
  /** When the last operation made finishes (none finishes before it). */
  #last = 0
  /** The first `busy` span not over before now (operations are made in time order). */
  #span = 0
  constructor(
    readonly clock: Clock,
    readonly counters: Counters,
    readonly latencyMs = 0,
    readonly samples?: () => number,
    readonly busy: readonly (readonly [number, number])[] = [],
    readonly putSamples = samples,
    /** The runtime comparison: the workerd thread the cache runs on with the isolates (an operation in flight holds their timers). */
    readonly thread?: Thread,
  ) {}

  async get(key: string, want: (meta: CacheMeta) => boolean) {
    this.#count('cache:get')
    await this.#take(this.samples)
    const e = this.#entries.get(key)
    if (!e || e.until <= this.clock.now) return undefined
    return want(e.meta) ? { meta: e.meta, value: e.value } : { meta: e.meta }
  }

  async put(key: string, meta: CacheMeta, value: unknown, keepMs: number) {
    this.#count('cache:put')
    await this.#take(this.putSamples)
    this.#entries.set(key, { meta, value, until: this.clock.now + keepMs })
  }

  /** Waits until the operation made now finishes. */
  #take(samples: (() => number) | undefined): Promise<void> | undefined {
    const now = this.clock.now
    let done = now + (samples ? samples() : this.latencyMs)
    const busy = this.busy
    while (this.#span < busy.length && busy[this.#span]![1] <= now) this.#span++
    for (let i = this.#span; i < busy.length && busy[i]![0] < done; i++) done = Math.max(done, busy[i]![1])
    this.#last = done = Math.max(done, this.#last)
    this.thread?.hold(done)
    return done > now ? this.clock.sleep(done - now) : undefined
  }

  #count(kind: string) {
    if (this.clock.now >= this.counters.from) this.counters.cacheOps++
    this.counters.kind(kind, this.clock.now)
  }
}

/**
 * D1 (optional binding EDGEVOY_DB): one database next to the hub. Writes (the
 * hub's row, the config authority's version rows) land at once and are
 * counted as rows written; an isolate's query takes its location's round
 * trip and reads the rows it returns (the hub's one row by primary key; a
 * version's parts). "no such table" until the first write.
 * https://developers.cloudflare.com/d1/platform/pricing/
 */
export class D1Model {
  table = false
  row: { body: string | null; written_at: number } | undefined
  /** Config rows by version (state/config-rows.ts). */
  readonly versions = new Map<number, { part: number; parts: number; body: string }[]>()
  configTable = false
  constructor(readonly clock: Clock, readonly counters: Counters) {}

  /** The writers' binding (the hub, the config authority). */
  writer(): D1Like & ConfigRowsDb {
    const prepare = (sql: string) => {
      let args: unknown[] = []
      const statement = {
        bind: (...values: unknown[]) => ((args = values), statement),
        run: async () => {
          if (sql.startsWith('CREATE TABLE IF NOT EXISTS edgevoy_hub')) this.table = true
          else if (sql.startsWith('CREATE TABLE IF NOT EXISTS edgevoy_config')) this.configTable = true
          else if (sql.startsWith('INSERT INTO edgevoy_hub')) this.#write('d1:write', () => (this.row = { body: args[0] as string | null, written_at: args[1] as number }))
          else if (sql.startsWith('UPDATE edgevoy_hub') && this.row) this.#write('d1:write', () => (this.row = { ...this.row!, written_at: 0 }))
          else if (sql.startsWith('INSERT OR REPLACE INTO edgevoy_config')) {
            const [version, part, parts, body] = args as [number, number, number, string]
            const rows = this.versions.get(version) ?? []
            rows[part] = { part, parts, body }
            this.versions.set(version, rows)
            this.#write('d1:config-write', () => {})
          } else if (sql.startsWith('DELETE FROM edgevoy_config'))
            for (const v of [...this.versions.keys()]) if (v <= (args[0] as number)) for (const _ of this.versions.get(v)!) this.#write('d1:config-write', () => this.versions.delete(v))
          return { success: true, meta: {}, results: [] }
        },
      }
      return statement
    }
    const batch = async (statements: { run(): Promise<unknown> }[]) => {
      const out = []
      for (const st of statements) out.push(await st.run())
      return out
    }
    return { prepare, batch } as unknown as D1Like & ConfigRowsDb
  }

  #write(kind: string, apply: () => unknown) {
    apply()
    if (this.clock.now >= this.counters.from) this.counters.d1Writes++
    this.counters.kind(kind, this.clock.now)
  }

  #read(kind: string, rows: number) {
    if (this.clock.now < this.counters.from) return
    this.counters.d1Queries++
    this.counters.d1Reads += rows
    for (let i = 0; i < rows; i++) this.counters.kind(kind, this.clock.now)
  }

  /** An isolate's binding, `rttMs` from the database (or each query one of the runtime's samples). */
  reader(rttMs: number, samples?: () => number, thread?: Thread): D1Database {
    const rtt = () => (samples ? samples() : rttMs)
    const prepare = (sql: string) => {
      let args: unknown[] = []
      const statement = {
        bind: (...values: unknown[]) => ((args = values), statement),
        first: async () => {
          if (this.clock.now >= this.counters.from && this.counters.looks.length < 5000) this.counters.looks.push(this.clock.now)
          await operation(this.clock, thread, rtt())
          if (sql !== HUB_ROW_SELECT) throw new Error(`D1Model: unexpected query ${sql}`)
          this.#read('d1:read', this.table && this.row ? 1 : 0)
          if (!this.table) throw new Error('D1_ERROR: no such table: edgevoy_hub')
          return this.row ?? null
        },
        all: async () => {
          await operation(this.clock, thread, rtt())
          if (sql !== CONFIG_ROWS_SELECT) throw new Error(`D1Model: unexpected query ${sql}`)
          const rows = this.versions.get(args[0] as number) ?? []
          this.#read('d1:config', rows.length)
          if (!this.configTable) throw new Error('D1_ERROR: no such table: edgevoy_config')
          return { success: true, meta: {}, results: rows }
        },
      }
      return statement
    }
    return { prepare } as unknown as D1Database
  }
}
