/**
 * Keeps this isolate's copy of each used cluster's health report fresh, in
 * the background: a loop handed to `ctx.waitUntil`, never awaited by a
 * request. The loop lives while the isolate has traffic (a request restarts
 * it) and stops after a bounded number of polls, so one request never keeps
 * an invocation — or its subrequest allowance — alive for long.
 */
import type { Cluster } from '../../compile/types.js'
import { healthTarget, type HealthAuthorityResolver } from './authority.js'
import type { ClusterHealthReport } from './flags.js'

/**
 * How one poll reaches the cluster's report: straight from its authority, or
 * through the location's cache and the hub (health/cached.ts). `periodMs` is
 * how often this isolate polls the cluster. 'unregistered': the poller
 * registers the cluster with its authority and polls it directly.
 */
export type HealthSource = (resolve: HealthAuthorityResolver, cluster: Cluster, periodMs: number) => Promise<ClusterHealthReport | 'unregistered'>

export interface PollerDeps {
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** Default: every poll asks the authority itself. */
  source?: HealthSource
}

const direct: HealthSource = (resolve, cluster) => resolve(cluster.name).poll(cluster.hash)

/** Clusters without active checks are polled only for admin overrides. */
const OVERRIDE_POLL_MS = 5000
const MIN_POLL_MS = 50
/** A loop stops after this long without a request touching it… */
const IDLE_STOP_MS = 25_000
/** …or after this many polls (each is a subrequest of the request that started the loop). */
const MAX_POLLS_PER_LOOP = 200
/** A loop silent this long is presumed cancelled (waitUntil ended) and replaced. */
const STALLED_LOOP_MS = 2 * OVERRIDE_POLL_MS + 1000

interface Watched {
  cluster: Cluster
  periodMs: number
  nextPollAt: number
}

export class HealthPoller {
  readonly #deps: PollerDeps
  readonly #watched = new Map<string, Watched>()
  #running = false
  #lastTouch = 0
  /** When the loop last did anything: a loop the runtime cancelled mid-sleep never settles. */
  #heartbeat = 0

  constructor(deps: PollerDeps) {
    this.#deps = deps
  }

  /**
   * Notes that `cluster` is in use and makes sure a poll loop runs.
   * `onReport` receives every fresh report.
   */
  touch(cluster: Cluster, resolve: HealthAuthorityResolver, waitUntil: (p: Promise<unknown>) => void, onReport: (r: ClusterHealthReport) => void): void {
    const now = this.#deps.now()
    this.#lastTouch = now
    const current = this.#watched.get(cluster.name)
    if (!current || current.cluster.hash !== cluster.hash) {
      const checks = cluster.resilience.healthChecks
      // Poll about twice per check interval, so an isolate lags the authority by at most ~half an interval.
      const periodMs = checks.length ? Math.max(MIN_POLL_MS, Math.min(OVERRIDE_POLL_MS, Math.min(...checks.map((c) => c.intervalMs)) / 2)) : OVERRIDE_POLL_MS
      this.#watched.set(cluster.name, { cluster, periodMs, nextPollAt: now })
    }
    if (this.#running && now - this.#heartbeat < STALLED_LOOP_MS) return
    this.#running = true
    this.#heartbeat = now
    waitUntil(this.#loop(resolve, onReport).finally(() => (this.#running = false)))
  }

  async #loop(resolve: HealthAuthorityResolver, onReport: (r: ClusterHealthReport) => void): Promise<void> {
    for (let polls = 0; polls < MAX_POLLS_PER_LOOP && this.#deps.now() - this.#lastTouch < IDLE_STOP_MS; ) {
      const now = this.#deps.now()
      this.#heartbeat = now
      const due = [...this.#watched.values()].filter((w) => w.nextPollAt <= now)
      for (const w of due) w.nextPollAt = now + w.periodMs
      polls += due.length
      await Promise.all(due.map((w) => this.#pollOne(w, resolve, onReport)))
      const next = Math.min(...[...this.#watched.values()].map((w) => w.nextPollAt))
      await this.#deps.sleep(Math.max(MIN_POLL_MS / 2, next - this.#deps.now()))
    }
  }

  async #pollOne(w: Watched, resolve: HealthAuthorityResolver, onReport: (r: ClusterHealthReport) => void): Promise<void> {
    const cluster = w.cluster
    try {
      let report = await (this.#deps.source ?? direct)(resolve, cluster, w.periodMs)
      if (report === 'unregistered') {
        const authority = resolve(cluster.name)
        await authority.register(healthTarget(cluster, cluster.resilience.healthChecks[0]))
        report = await authority.poll(cluster.hash)
      }
      if (report !== 'unregistered') onReport(report)
    } catch (e) {
      // Keep the last report: health data a little stale beats failing requests.
      console.warn(`edgevoy: health poll for cluster ${cluster.name} failed`, e)
    }
  }
}
