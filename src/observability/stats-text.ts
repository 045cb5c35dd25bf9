/**
 * Envoy's `/stats` in its text form (`name: value`, histograms as quantiles)
 * and `?format=json`.
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--stats
 */
import { StatsStore } from './stats.js'

export const QUANTILES = [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1] as const

export interface StatsQuery {
  /** `filter=<regex>`: only stats whose name matches. */
  readonly filter?: RegExp | undefined
  /** `usedonly`: skip stats that were never written (all of ours were, so only zero values go). */
  readonly usedOnly?: boolean
}

const keep = (q: StatsQuery, name: string, value: number) => (!q.filter || q.filter.test(name)) && (!q.usedOnly || value !== 0)

function scalars(store: StatsStore, q: StatsQuery): [string, number][] {
  const all = [...store.counters, ...store.gauges].filter(([n, v]) => keep(q, n, v))
  return all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function histograms(store: StatsStore, q: StatsQuery) {
  return [...store.histograms].filter(([n, h]) => keep(q, n, h.count)).sort(([a], [b]) => (a < b ? -1 : 1))
}

const fmt = (v: number | undefined) => (v === undefined ? 'nan' : Number.isFinite(v) ? v.toFixed(1) : 'inf')

export function renderText(store: StatsStore, q: StatsQuery = {}): string {
  const lines = scalars(store, q).map(([n, v]) => `${n}: ${v}`)
  for (const [n, h] of histograms(store, q)) {
    // Envoy prints (interval,cumulative); edgevoy keeps no intervals.
    lines.push(`${n}: ${QUANTILES.map((p) => `P${p * 100}(nan,${fmt(StatsStore.quantile(h, p))})`).join(' ')}`)
  }
  return lines.join('\n') + (lines.length ? '\n' : '')
}

export function renderJson(store: StatsStore, q: StatsQuery = {}): unknown {
  return {
    stats: [
      ...scalars(store, q).map(([name, value]) => ({ name, value })),
      {
        histograms: {
          supported_quantiles: QUANTILES.map((p) => p * 100),
          computed_quantiles: histograms(store, q).map(([name, h]) => ({
            name,
            values: QUANTILES.map((p) => ({ interval: null, cumulative: StatsStore.quantile(h, p) ?? null })),
            count: h.count,
            sum: h.sum,
          })),
        },
      },
    ],
    /** Not in Envoy: says whose numbers these are. */
    edgevoy: { scope: 'isolate', isolate: store.isolateId, started_at: new Date(store.startedAt).toISOString() },
  }
}
