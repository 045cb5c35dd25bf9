/**
 * The health authority: one Durable Object per cluster that runs the
 * cluster's active HTTP health checks on an alarm loop and answers every
 * isolate's poll with the result, so all isolates agree on host health.
 *
 * Why a Durable Object alarm and not a Cron Trigger: Envoy checks every few
 * seconds (interval is typically 1–10 s); Cron Triggers fire at most once a
 * minute, alarms can be set to any millisecond and re-arm themselves, and
 * they run with no client traffic at all.
 * https://developers.cloudflare.com/durable-objects/api/alarms/
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking
 */
import { DurableObject } from 'cloudflare:workers'
import type { HostHealthStatus } from '../compile/types.js'
import { HUB_NAME, type HealthAuthority as HealthAuthorityApi, type HealthDigest, type HealthHub, type HealthTarget } from '../upstream/health/authority.js'
import { applyCheckResult, markImmediateFail, newHostCheckState, runHealthCheck, type HostCheckState } from '../upstream/health/checker.js'
import type { ClusterHealthReport, HostHealthReport } from '../upstream/health/flags.js'
import { PUBLISHED_KEY } from './published.js'

interface Stored {
  target: HealthTarget
  hosts: Record<string, HostCheckState>
  overrides: Record<string, HostHealthStatus>
}

const KEY = 'health'
/** With no isolate asking for a day, the cluster is presumed gone from config: checks pause until the next poll. */
const IDLE_PAUSE_MS = 24 * 60 * 60 * 1000
/** As the hub: how long the config version it was told (or read) is trusted before it reads KV again. */
const CONFIG_RECHECK_MS = 30_000

export class HealthAuthority extends DurableObject<EdgevoyEnv> implements HealthAuthorityApi, HealthHub {
  #state: Stored | undefined
  #loaded: Promise<void>
  #lastPollAt = Date.now()
  #armed = false
  /** As the hub (the object named HUB_NAME): every cluster's latest report, in memory (authorities republish each interval). */
  readonly #digest = new Map<string, ClusterHealthReport>()
  #digestReadAt = 0
  /** As the hub: the latest published config version, and when it was last learnt. */
  #config: { version: number; at: number } | undefined
  #configRead: Promise<void> | undefined

  constructor(ctx: DurableObjectState, env: EdgevoyEnv) {
    super(ctx, env)
    this.#loaded = ctx.blockConcurrencyWhile(async () => {
      this.#state = await ctx.storage.get<Stored>(KEY)
    })
  }

  async poll(hash: string): Promise<ClusterHealthReport | 'unregistered'> {
    await this.#loaded
    const s = this.#state
    if (!s || s.target.hash !== hash) return 'unregistered'
    this.#lastPollAt = Date.now()
    if (!this.#armed) await this.#arm()
    return this.#report(s)
  }

  /** A newer config's target replaces the old one; host state carries over by address. */
  async register(target: HealthTarget): Promise<void> {
    await this.#loaded
    const now = Date.now()
    const old = this.#state
    const hosts: Record<string, HostCheckState> = {}
    for (const h of target.hosts) hosts[h.address] = old?.hosts[h.address] ?? newHostCheckState(now)
    const overrides = Object.fromEntries(Object.entries(old?.overrides ?? {}).filter(([a]) => a in hosts))
    this.#state = { target, hosts, overrides }
    await this.#save()
    await this.#arm()
    await this.#publish()
  }

  async reportImmediateFail(address: string): Promise<void> {
    await this.#loaded
    const h = this.#state?.hosts[address]
    if (!h || !this.#state?.target.check) return
    markImmediateFail(h)
    await this.#save()
    await this.#publish()
  }

  async setOverride(address: string, status: HostHealthStatus | null): Promise<ClusterHealthReport | 'unknown_host'> {
    await this.#loaded
    const s = this.#state
    if (!s || !(address in s.hosts)) return 'unknown_host'
    if (status === null || status === 'HEALTHY' || status === 'UNKNOWN') delete s.overrides[address]
    else s.overrides[address] = status
    await this.#save()
    await this.#publish()
    return this.#report(s)
  }

  /** As the hub: every published report (bench/sim: one request per location per poll period for all clusters). */
  async digest(): Promise<HealthDigest> {
    const configVersion = await this.#configVersion()
    this.#digestReadAt = Date.now()
    return { generatedAt: this.#digestReadAt, reports: Object.fromEntries(this.#digest), configVersion }
  }

  /** As the hub: the config authority published `version` (isolates learn it with their next look). */
  async setConfigVersion(version: number): Promise<void> {
    if (!this.#config || version >= this.#config.version) this.#config = { version, at: Date.now() }
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

  /** As the hub: a cluster authority's latest report (a newer config's hash replaces the older one). */
  async publish(report: ClusterHealthReport): Promise<{ readAt: number }> {
    this.#digest.set(report.cluster, report)
    return { readAt: this.#digestReadAt }
  }

  /** Runs every due check, then re-arms for the next one. */
  override async alarm(): Promise<void> {
    await this.#loaded
    this.#armed = false
    const s = this.#state
    const check = s?.target.check
    if (!s || !check) return
    const now = Date.now()
    const due = s.target.hosts.filter((h) => (s.hosts[h.address]?.nextCheckAt ?? 0) <= now)
    const results = await Promise.all(due.map((h) => runHealthCheck(h, check, (input, init) => fetch(input, init))))
    const done = Date.now()
    due.forEach((h, i) => {
      const state = (s.hosts[h.address] ??= newHostCheckState(now))
      applyCheckResult(state, results[i]!, check, done, Math.random)
    })
    await this.#save()
    await this.#publish()
    if (Date.now() - this.#lastPollAt < IDLE_PAUSE_MS) await this.#arm()
  }

  /**
   * Hands the report to the hub, where isolates read it. Isolates reading the
   * digest keep this authority in use as polls do. Best effort: isolates
   * fall back to polling this object when the hub lacks the report.
   */
  async #publish(): Promise<void> {
    const ns = (this.env as { HEALTH?: DurableObjectNamespace<HealthAuthority> }).HEALTH
    if (!ns || !this.#state) return
    try {
      const { readAt } = await ns.get(ns.idFromName(HUB_NAME)).publish(this.#report(this.#state))
      if (readAt > this.#lastPollAt) this.#lastPollAt = readAt
    } catch (e) {
      console.warn(`edgevoy: publishing cluster ${this.#state.target.cluster}'s health to the hub failed`, e)
    }
  }

  async #arm(): Promise<void> {
    const s = this.#state
    if (!s?.target.check) return
    const next = Math.min(...Object.values(s.hosts).map((h) => h.nextCheckAt))
    if (!Number.isFinite(next)) return
    await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 1))
    this.#armed = true
  }

  async #save(): Promise<void> {
    if (this.#state) await this.ctx.storage.put(KEY, this.#state)
  }

  #report(s: Stored): ClusterHealthReport {
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
}
