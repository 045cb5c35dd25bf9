/**
 * The health authority: one Durable Object (the hub, `hub:health`) that runs
 * the active HTTP health checks of every cluster the isolates use, in one
 * alarm loop, and answers every isolate's look with all clusters' reports
 * (and the latest published config version) — so all isolates agree on host
 * health and one request tells a location everything.
 *
 * Why one object for all clusters (bench/sim, BENCHMARKS.md "Config and
 * health distribution"): every alarm invocation is a billed Durable Object
 * request; one object per cluster paid clusters ÷ interval alarms per second
 * plus as many publishes to the hub (at 100 req/s, more than the client
 * requests' 2% alone), one object pays 1 ÷ interval. A cluster's checks are
 * due on their own schedule (interval, jitter, unhealthy_interval); each
 * alarm runs whichever hosts of any cluster are due.
 *
 * Why a Durable Object alarm and not a Cron Trigger: Envoy checks every few
 * seconds (interval is typically 1–10 s); Cron Triggers fire at most once a
 * minute, alarms can be set to any millisecond and re-arm themselves, and
 * they run with no client traffic at all.
 * https://developers.cloudflare.com/durable-objects/api/alarms/
 * https://developers.cloudflare.com/durable-objects/platform/pricing/
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking
 */
import type { HostHealthStatus } from '../compile/types.js'
import { HUB_NAME, type HealthDigest, type HealthHub, type HealthTarget, type HubAuthority } from '../upstream/health/authority.js'
import { applyCheckResult, markImmediateFail, newHostCheckState, runHealthCheck, type HostCheckState } from '../upstream/health/checker.js'
import type { ClusterHealthReport, HostHealthReport } from '../upstream/health/flags.js'
import { HubRowWriter } from '../upstream/health/hub-row-writer.js'
import { PUBLISHED_KEY } from './published.js'

interface Stored {
  target: HealthTarget
  hosts: Record<string, HostCheckState>
  overrides: Record<string, HostHealthStatus>
}

/** One storage key per cluster. */
const PREFIX = 'cluster:'
/** With no isolate asking for a day, the clusters are presumed gone from config: checks pause until the next look. */
const IDLE_PAUSE_MS = 24 * 60 * 60 * 1000
/** As the hub: how long the config version it was told (or read) is trusted before it reads KV again. */
const CONFIG_RECHECK_MS = 30_000

/**
 * The hub's code. The Durable Object class the Worker exports
 * (state/health-authority.ts) is a shell that imports this on first use, so
 * the entry every proxying isolate evaluates does not carry the checker and
 * the hub's loop.
 */
export class HealthAuthorityCore implements HubAuthority, HealthHub {
  readonly #clusters = new Map<string, Stored>()
  #loaded: Promise<void>
  #lastPollAt = Date.now()
  #armed = false
  /** The latest published config version, and when it was last learnt. */
  #config: { version: number; at: number } | undefined
  #configRead: Promise<void> | undefined
  /** With a D1 binding (`EDGEVOY_DB`): the digest isolates read as a row instead of asking here (upstream/health/hub-row.ts). */
  readonly #row: HubRowWriter | undefined

  constructor(
    readonly ctx: DurableObjectState,
    readonly env: EdgevoyEnv,
  ) {
    const db = env.EDGEVOY_DB as D1Database | undefined
    // One row: only the hub (`hub:health`) writes it, not another object of this class (tests make their own).
    const isHub = (env.HEALTH as DurableObjectNamespace | undefined)?.idFromName(HUB_NAME).equals(ctx.id) === true
    this.#row = db && isHub ? new HubRowWriter(db) : undefined
    this.#loaded = ctx.blockConcurrencyWhile(async () => {
      for (const [key, value] of await ctx.storage.list<Stored>({ prefix: PREFIX })) this.#clusters.set(key.slice(PREFIX.length), value)
    })
  }

  async pollCluster(cluster: string, hash: string): Promise<ClusterHealthReport | 'unregistered'> {
    await this.#loaded
    const s = this.#clusters.get(cluster)
    if (!s || s.target.hash !== hash) return 'unregistered'
    await this.#touch()
    return report(s)
  }

  /** A newer config's target replaces the old one; host state carries over by address. */
  async register(target: HealthTarget): Promise<void> {
    await this.#loaded
    const now = Date.now()
    const old = this.#clusters.get(target.cluster)
    const hosts: Record<string, HostCheckState> = {}
    for (const h of target.hosts) hosts[h.address] = old?.hosts[h.address] ?? newHostCheckState(now)
    const overrides = Object.fromEntries(Object.entries(old?.overrides ?? {}).filter(([a]) => a in hosts))
    const s = { target, hosts, overrides }
    this.#clusters.set(target.cluster, s)
    await this.#save(target.cluster, s)
    this.#lastPollAt = now
    await this.#publishRow()
    await this.#arm()
  }

  async reportImmediateFailFor(cluster: string, address: string): Promise<void> {
    await this.#loaded
    const s = this.#clusters.get(cluster)
    const h = s?.hosts[address]
    if (!s || !h || !s.target.check) return
    markImmediateFail(h)
    await this.#save(cluster, s)
    await this.#publishRow()
  }

  async setOverrideFor(cluster: string, address: string, status: HostHealthStatus | null): Promise<ClusterHealthReport | 'unknown_host'> {
    await this.#loaded
    const s = this.#clusters.get(cluster)
    if (!s || !(address in s.hosts)) return 'unknown_host'
    if (status === null || status === 'HEALTHY' || status === 'UNKNOWN') delete s.overrides[address]
    else s.overrides[address] = status
    await this.#save(cluster, s)
    await this.#publishRow()
    return report(s)
  }

  /** Every cluster's report and the config version: what one look of a location learns. */
  async digest(): Promise<HealthDigest> {
    await this.#loaded
    await this.#touch()
    return this.#digest()
  }

  async #digest(): Promise<HealthDigest> {
    const configVersion = await this.#configVersion()
    const reports: Record<string, ClusterHealthReport> = {}
    for (const s of this.#clusters.values()) reports[s.target.cluster] = report(s)
    return { generatedAt: Date.now(), reports, configVersion }
  }

  /** The config authority published `version` (isolates learn it with their next look — or read, at once, from the D1 row). */
  async setConfigVersion(version: number): Promise<void> {
    if (!this.#config || version >= this.#config.version) this.#config = { version, at: Date.now() }
    await this.#loaded
    await this.#publishRow()
  }

  /**
   * With D1: the row gets every change at once and a heartbeat (hub-row.ts).
   * A failed write is logged; the next change, alarm or heartbeat writes again,
   * and readers ask the hub itself once the row is HUB_ROW_LIVE_MS old.
   */
  async #publishRow(): Promise<void> {
    if (!this.#row) return
    try {
      await this.#row.publish(await this.#digest())
    } catch (e) {
      console.warn('edgevoy: writing the health digest to D1 failed', e)
    }
  }

  /**
   * The version isolates are told. Trusted for CONFIG_RECHECK_MS, then read
   * from KV again (once at a time): a publish whose notice never arrived, or
   * a hub that restarted, is caught up within that plus KV's own lag.
   */
  async #configVersion(): Promise<number | undefined> {
    const kv = this.env.CONFIG as KVNamespace | undefined
    if (!kv) return undefined
    if (!this.#config || Date.now() - this.#config.at > CONFIG_RECHECK_MS) {
      this.#configRead ??= kv
        .get<{ version?: unknown }>(PUBLISHED_KEY, 'json')
        .then((p) => {
          const version = typeof p?.version === 'number' ? p.version : 0
          this.#config = { version: Math.max(version, this.#config?.version ?? 0), at: Date.now() }
        })
        .catch(() => undefined)
        .finally(() => (this.#configRead = undefined))
      // Unknown yet: wait for KV; known: answer with it and let KV confirm in the background.
      if (!this.#config) await this.#configRead
    }
    return this.#config?.version
  }

  /** Runs every due check of every cluster, then re-arms for the next one. */
  async alarm(): Promise<void> {
    await this.#loaded
    this.#armed = false
    const now = Date.now()
    const rounds = [...this.#clusters].flatMap(([name, s]) => {
      const check = s.target.check
      if (!check) return []
      const due = s.target.hosts.filter((h) => (s.hosts[h.address]?.nextCheckAt ?? 0) <= now)
      return due.length ? [{ name, s, check, due }] : []
    })
    await Promise.all(
      rounds.map(async ({ name, s, check, due }) => {
        const results = await Promise.all(due.map((h) => runHealthCheck(h, check, (input, init) => fetch(input, init))))
        const done = Date.now()
        due.forEach((h, i) => applyCheckResult((s.hosts[h.address] ??= newHostCheckState(now)), results[i]!, check, done, Math.random))
        await this.#save(name, s)
      }),
    )
    if (Date.now() - this.#lastPollAt < IDLE_PAUSE_MS) {
      await this.#publishRow()
      await this.#arm()
    } else if (this.#row) {
      // Paused: readers of the row must ask here again (which resumes the checks), not trust a frozen row.
      await this.#row.pause().catch((e) => console.warn('edgevoy: marking the D1 health row paused failed', e))
    }
  }

  /** A look or a poll: the clusters are in use; paused checks resume. */
  async #touch(): Promise<void> {
    this.#lastPollAt = Date.now()
    if (!this.#armed) await this.#arm()
  }

  async #arm(): Promise<void> {
    let next = Number.POSITIVE_INFINITY
    for (const s of this.#clusters.values()) if (s.target.check) for (const h of Object.values(s.hosts)) next = Math.min(next, h.nextCheckAt)
    // With D1 the alarm also keeps the row's heartbeat (readers cannot tell a quiet hub from a stopped one otherwise).
    if (this.#row) next = Math.min(next, this.#row.dueAt)
    if (!Number.isFinite(next)) return
    await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 1))
    this.#armed = true
  }

  async #save(cluster: string, s: Stored): Promise<void> {
    await this.ctx.storage.put(PREFIX + cluster, s)
  }
}

function report(s: Stored): ClusterHealthReport {
  const hosts: Record<string, HostHealthReport> = {}
  for (const [address, h] of Object.entries(s.hosts)) {
    hosts[address] = {
      activeFailed: h.failed,
      timedOut: h.timedOut,
      immediateFail: h.immediateFail,
      override: s.overrides[address],
      lastPassAt: h.lastPassAt,
      consecutiveFailures: h.consecutiveFailures,
      consecutiveSuccesses: h.consecutiveSuccesses,
      checks: h.checks,
    }
  }
  return { cluster: s.target.cluster, hash: s.target.hash, generatedAt: Date.now(), hosts }
}
