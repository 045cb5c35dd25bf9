/**
 * Envoy-named stats kept per isolate. A Worker isolate is one of many Envoy
 * "processes": these numbers cover the requests this isolate served since it
 * started (cluster-wide numbers come from Analytics Engine, see analytics.ts).
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/stats
 */

/** What the rest of edgevoy calls to record a stat by its Envoy name (e.g. `cluster.x.upstream_rq_retry`). */
export interface StatsSink {
  counter(name: string, delta?: number): void
  gauge(name: string, value: number): void
  /** Adds `delta` to a gauge (Envoy's inc/dec on e.g. `outlier_detection.ejections_active`). */
  gaugeAdd(name: string, delta: number): void
  /** One sample of a histogram, in milliseconds for `*_time` stats. */
  histogram(name: string, value: number): void
}

/** Envoy's default histogram bucket bounds (ms for timing stats). */
export const DEFAULT_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000] as const

export interface HistogramData {
  /** Cumulative counts per bound in DEFAULT_BUCKETS (Prometheus `le`). */
  readonly buckets: readonly number[]
  readonly count: number
  readonly sum: number
}

export class StatsStore implements StatsSink {
  readonly counters = new Map<string, number>()
  readonly gauges = new Map<string, number>()
  readonly histograms = new Map<string, { buckets: number[]; count: number; sum: number }>()
  private id: string | undefined
  private readonly now: () => number
  private started: number | undefined

  // Lazy: a Worker may not generate random values at global scope, and its clock reads 0 there.
  constructor(options: { isolateId?: string; now?: () => number } = {}) {
    this.id = options.isolateId
    this.now = options.now ?? Date.now
  }

  /** A random id for this isolate, so per-isolate numbers can be told apart. */
  get isolateId(): string {
    return (this.id ??= crypto.randomUUID().slice(0, 8))
  }

  /** When this store first saw a request (or was first read). */
  get startedAt(): number {
    return (this.started ??= this.now())
  }

  counter(name: string, delta = 1): void {
    void this.startedAt
    this.counters.set(name, (this.counters.get(name) ?? 0) + delta)
  }

  gauge(name: string, value: number): void {
    this.gauges.set(name, value)
  }

  gaugeAdd(name: string, delta: number): void {
    this.gauges.set(name, (this.gauges.get(name) ?? 0) + delta)
  }

  histogram(name: string, value: number): void {
    let h = this.histograms.get(name)
    if (!h) this.histograms.set(name, (h = { buckets: DEFAULT_BUCKETS.map(() => 0), count: 0, sum: 0 }))
    for (let i = 0; i < DEFAULT_BUCKETS.length; i++) if (value <= DEFAULT_BUCKETS[i]!) h.buckets[i]!++
    h.count++
    h.sum += value
  }

  /** Quantile estimate from the buckets (upper bound of the bucket that holds it), for Envoy's text form. */
  static quantile(h: HistogramData, q: number): number | undefined {
    if (h.count === 0) return undefined
    const rank = q * h.count
    for (let i = 0; i < DEFAULT_BUCKETS.length; i++) if (h.buckets[i]! >= rank) return DEFAULT_BUCKETS[i]
    return Infinity
  }
}

/** This isolate's stats: module state lives as long as the isolate. */
export const isolateStats = new StatsStore()
