/**
 * Envoy's `/stats/prometheus`: dotted stat names become `envoy_` metric names,
 * with the cluster name, the connection manager's stat prefix and response
 * codes pulled out as labels (Envoy's default tag extractors), and histograms
 * as cumulative `_bucket{le}`, `_sum`, `_count` in milliseconds.
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--stats-prometheus
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
import { DEFAULT_BUCKETS, type StatsStore } from './stats.js'

interface Series {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
}

type Family = { type: 'counter' | 'gauge' | 'histogram'; lines: string[] }

const CLUSTER = /^cluster\.(.+?)\.((?:upstream_|outlier_detection\.|membership_|health_check\.|lb_|retry\.|circuit_breakers\.|internal\.|external\.|canary\.|bind_errors|max_host_weight|version|update_)\S*)$/
const HTTP = /^http\.(.*?)\.(.+)$/

/** A stat name → Prometheus metric name and labels, as Envoy's tag extraction does. */
export function toSeries(stat: string): Series {
  const labels: Record<string, string> = {}
  let rest = stat
  let prefix = ''
  const cluster = CLUSTER.exec(stat)
  const http = cluster ? null : HTTP.exec(stat)
  if (cluster) {
    labels.envoy_cluster_name = cluster[1]!
    prefix = 'cluster.'
    rest = cluster[2]!
  } else if (http) {
    labels.envoy_http_conn_manager_prefix = http[1]!
    prefix = 'http.'
    rest = http[2]!
  }
  const klass = /^(.*_rq)_(\d)xx$/.exec(rest)
  const code = /^(.*_rq)_(\d{3})$/.exec(rest)
  if (klass) {
    labels.envoy_response_code_class = klass[2]!
    rest = `${klass[1]}_xx`
  } else if (code) {
    labels.envoy_response_code = code[2]!
    rest = code[1]!
  }
  return { name: `envoy_${(prefix + rest).replace(/[^a-zA-Z0-9_]/g, '_')}`, labels }
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

function labelText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels)
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}` : ''
}

/** The whole exposition. Every series carries `edgevoy_isolate`: these are one isolate's numbers. */
export function renderPrometheus(store: StatsStore): string {
  const families = new Map<string, Family>()
  const isolate = { edgevoy_isolate: store.isolateId }
  const family = (name: string, type: Family['type']) => {
    let f = families.get(name)
    if (!f) families.set(name, (f = { type, lines: [] }))
    return f
  }
  const scalar = (map: ReadonlyMap<string, number>, type: 'counter' | 'gauge') => {
    for (const [stat, value] of map) {
      const s = toSeries(stat)
      family(s.name, type).lines.push(`${s.name}${labelText({ ...s.labels, ...isolate })} ${value}`)
    }
  }
  scalar(store.counters, 'counter')
  scalar(store.gauges, 'gauge')
  for (const [stat, h] of store.histograms) {
    const s = toSeries(stat)
    const f = family(s.name, 'histogram')
    const labels = { ...s.labels, ...isolate }
    DEFAULT_BUCKETS.forEach((le, i) => f.lines.push(`${s.name}_bucket${labelText({ ...labels, le: String(le) })} ${h.buckets[i]}`))
    f.lines.push(`${s.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${h.count}`)
    f.lines.push(`${s.name}_sum${labelText(labels)} ${h.sum}`)
    f.lines.push(`${s.name}_count${labelText(labels)} ${h.count}`)
  }
  const info = `# TYPE edgevoy_isolate_start_time_seconds gauge\nedgevoy_isolate_start_time_seconds${labelText(isolate)} ${Math.floor(store.startedAt / 1000)}\n`
  let out = info
  for (const name of [...families.keys()].sort()) {
    const f = families.get(name)!
    out += `# TYPE ${name} ${f.type}\n${f.lines.join('\n')}\n`
  }
  return out
}
