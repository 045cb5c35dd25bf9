/**
 * The per-isolate upstream state, keyed by cluster name (never stored on the
 * frozen, shared snapshot objects): each cluster's host health (active-check
 * reports from the health authority, outlier ejections, EDS/admin status),
 * its circuit breaker, and the balancers built from the healthy host sets.
 *
 * Load-balancer state is rebuilt when membership or health changes, not per
 * pick (Envoy's priority set callbacks); a routes-only config change keeps it.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/overview
 */
import type { ClusterResilience } from '../compile/types.js'
import type { Cluster, Host } from '../compile/types.js'
import { CircuitBreaker } from './circuit-breaker.js'
import type { HealthAuthorityResolver } from './health/authority.js'
import { coarseHealth, statusFlag, type ClusterHealthReport, type HealthFlag } from './health/flags.js'
import { HealthPoller, type PollerDeps } from './health/poller.js'
import { LOAD_BALANCERS, type LbContext, type LbDeps, type LoadBalancer } from './lb/index.js'
import { outlierDetection } from './on-demand.js'
import type { AttemptResult, OutlierDetector } from './outlier.js'
import { planPriorities, type PriorityLevel } from './priority.js'

export interface ClusterManagerDeps extends LbDeps {
  sleep?: (ms: number) => Promise<void>
  /** How health reports reach this isolate (the composition root's choice; default: poll the authority directly). */
  health?: Pick<PollerDeps, 'source'>
}

/** Where this request can reach the health authority, and how to run background work. */
export interface HealthLink {
  readonly resolve: HealthAuthorityResolver
  readonly waitUntil: (p: Promise<unknown>) => void
}

const IMMEDIATE_FAIL_GRACE_MS = 5000

interface Plan {
  readonly levels: readonly PriorityLevel[]
  readonly balancers: readonly LoadBalancer[]
}

/** Everything this isolate knows about one cluster. */
export interface ClusterState {
  cluster: Cluster
  resilience: ClusterResilience
  outlier: OutlierDetector | undefined
  breaker: CircuitBreaker
  report: ClusterHealthReport | undefined
  /** Hosts that answered `x-envoy-immediate-health-check-fail`, until the authority's report catches up. */
  immediateFails: Map<string, number>
  plan: Plan | undefined
  counters: { rq: number; retries: number; noHealthyUpstream: number; panics: number }
}

export class ClusterManager {
  readonly #deps: LbDeps
  readonly #states = new Map<string, ClusterState>()
  readonly #poller: HealthPoller

  constructor(deps: ClusterManagerDeps) {
    this.#deps = deps
    this.#poller = new HealthPoller({ ...deps.health, now: deps.now, sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))) })
  }

  /** The state of `cluster`, rebuilt when its config hash changes (the breaker's counts survive). */
  state(cluster: Cluster): ClusterState {
    let s = this.#states.get(cluster.name)
    if (s && s.cluster.hash === cluster.hash) return s
    const resilience = cluster.resilience
    const breaker = s?.breaker ?? new CircuitBreaker(resilience.circuitBreakers)
    breaker.thresholds = resilience.circuitBreakers
    const outlier = resilience.outlier ? new (outlierDetection().OutlierDetector)(resilience.outlier, cluster.hosts.map((h) => h.address), this.#deps.random) : undefined
    s = { cluster, resilience, outlier, breaker, report: undefined, immediateFails: new Map(), plan: undefined, counters: s?.counters ?? { rq: 0, retries: 0, noHealthyUpstream: 0, panics: 0 } }
    this.#states.set(cluster.name, s)
    return s
  }

  /** Keeps the cluster's health report fresh in the background (never awaited). */
  watchHealth(cluster: Cluster, link: HealthLink | undefined): void {
    if (!link) return
    this.#poller.touch(cluster, link.resolve, link.waitUntil, (report) => this.applyReport(report))
  }

  /** A health report from the authority; rebuilds the balancers when health changed. */
  applyReport(report: ClusterHealthReport): void {
    const s = this.#states.get(report.cluster)
    if (!s || (report.hash !== undefined && report.hash !== s.cluster.hash)) return
    // The local mark stands until a newer report carries the failure itself
    // (or, should the authority never have heard of it, for a short grace).
    for (const [address, at] of s.immediateFails) {
      const h = report.hosts[address]
      if (report.generatedAt > at && (h?.activeFailed || report.generatedAt > at + IMMEDIATE_FAIL_GRACE_MS)) s.immediateFails.delete(address)
    }
    const before = s.report
    s.report = report
    // Rebuild the balancers only when health changed: a first report saying every host is
    // fine must not restart round robin's rotation (Envoy rebuilds on membership/health changes).
    if (healthKey(before) !== healthKey(report)) s.plan = undefined
  }

  chooseHost(cluster: Cluster, context?: LbContext): Host | undefined {
    const s = this.state(cluster)
    const now = this.#deps.now()
    const nextReturn = s.outlier?.nextReturn()
    // While a host is ejected, check each pick whether its time is up or an active check passed.
    if (s.outlier && nextReturn !== undefined) {
      if (s.outlier.refresh(now, (a) => s.report?.hosts[a]?.lastPassAt)) s.plan = undefined
    }
    const plan = (s.plan ??= this.#buildPlan(s))
    if (plan.levels.length === 0) return undefined
    // Pick a priority level by its load, then a host within it.
    let r = this.#deps.random() * 100
    let first = plan.levels.length - 1
    for (let i = 0; i < plan.levels.length; i++) {
      if (r < plan.levels[i]!.load) {
        first = i
        break
      }
      r -= plan.levels[i]!.load
    }
    if (plan.levels[first]!.panic) s.counters.panics++
    const order = [first, ...plan.levels.map((_, i) => i).filter((i) => i !== first && plan.levels[i]!.load > 0)]
    for (const i of order) {
      const host = plan.balancers[i]!.chooseHost(context)
      if (host) return host
    }
    s.counters.noHealthyUpstream++
    return undefined
  }

  #buildPlan(s: ClusterState): Plan {
    const levels = planPriorities(s.cluster.hosts, (h) => coarseHealth(this.flags(s, h)), {
      overprovisioningFactor: s.resilience.overprovisioningFactor,
      panicThreshold: s.resilience.healthyPanicThreshold,
    })
    const make = LOAD_BALANCERS[s.cluster.lbPolicy]
    // The balancer also gets the cluster: its *_lb_config, locality settings and pick counters.
    const deps = { ...this.#deps, cluster: s.cluster }
    return { levels, balancers: levels.map((l) => make(l.pickFrom, deps)) }
  }

  /** The host's health flags, from every source. */
  flags(s: ClusterState, host: Host): Set<HealthFlag> {
    const flags = new Set<HealthFlag>()
    const add = (f: HealthFlag | undefined) => f && flags.add(f)
    add(statusFlag(host.configuredHealth))
    const r = s.report?.hosts[host.address]
    if (r?.activeFailed) add('FAILED_ACTIVE_HC')
    if (r?.activeFailed && r.timedOut) add('ACTIVE_HC_TIMEOUT')
    if (r?.immediateFail || s.immediateFails.has(host.address)) add('EXCLUDED_VIA_IMMEDIATE_HC_FAIL')
    add(statusFlag(r?.override))
    if (s.outlier?.isEjected(host.address)) add('FAILED_OUTLIER_CHECK')
    return flags
  }

  /** Passive health: what an attempt to `host` ended with. */
  reportAttempt(cluster: Cluster, host: Host, result: AttemptResult): void {
    const s = this.state(cluster)
    if (s.outlier?.report(host.address, result, this.#deps.now())) s.plan = undefined
  }

  /**
   * The upstream answered `x-envoy-immediate-health-check-fail`: with active
   * checks configured, Envoy fails the host at once; the authority is told so
   * every isolate agrees, and only passing checks bring it back.
   */
  immediateHealthCheckFail(cluster: Cluster, host: Host, link: HealthLink | undefined): void {
    const s = this.state(cluster)
    if (s.resilience.healthChecks.length === 0) return
    s.immediateFails.set(host.address, this.#deps.now())
    s.plan = undefined
    if (link) link.waitUntil(link.resolve(cluster.name).reportImmediateFail(host.address).catch(() => undefined))
  }

  breaker(cluster: Cluster): CircuitBreaker {
    return this.state(cluster).breaker
  }
}

/** What in a report changes load balancing (not counters or timestamps). */
/** The health a report says, without hosts it reports nothing against (no report: nothing to say). */
function healthKey(r: ClusterHealthReport | undefined): string {
  return Object.entries(r?.hosts ?? {})
    .filter(([, h]) => h.activeFailed || h.timedOut || h.immediateFail || h.override)
    .map(([a, h]) => `${a}:${h.activeFailed ? 1 : 0}${h.timedOut ? 1 : 0}${h.immediateFail ? 1 : 0}${h.override ?? ''}`)
    .sort()
    .join('|')
}
