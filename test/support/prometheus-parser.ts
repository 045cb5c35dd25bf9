/**
 * A strict parser for the Prometheus text exposition format (0.0.4): it
 * throws on anything Prometheus would reject, and on the mistakes it would
 * silently accept (a family split in two, a sample before its TYPE, duplicate
 * series, non-cumulative histogram buckets).
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface MetricFamily {
  readonly name: string
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  readonly help: string | undefined
  readonly samples: Sample[]
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

export function parsePrometheus(text: string): Map<string, MetricFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline')
  const families = new Map<string, MetricFamily>()
  const seen = new Set<string>()
  let current: MetricFamily | undefined
  const lines = text.split('\n')
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`
    if (line === '') return
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
      if (!m) return // a plain comment
      const [, kind, name, rest] = m
      if (!METRIC.test(name!)) throw new Error(`bad metric name in ${where}`)
      if (kind === 'TYPE') {
        if (!TYPES.has(rest!)) throw new Error(`bad type in ${where}`)
        if (families.has(name!)) throw new Error(`second TYPE for ${name} (${where})`)
        current = { name: name!, type: rest as MetricFamily['type'], help: undefined, samples: [] }
        families.set(name!, current)
      }
      return
    }
    const sample = parseSample(line, where)
    const family = familyOf(sample.name, current)
    if (!family) {
      if (families.has(sample.name)) throw new Error(`family ${sample.name} is not contiguous (${where})`)
      current = { name: sample.name, type: 'untyped', help: undefined, samples: [] }
      families.set(sample.name, current)
    }
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`
    if (seen.has(key)) throw new Error(`duplicate series (${where})`)
    seen.add(key)
    ;(family ?? current!).samples.push(sample)
  })
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f)
  return families
}

/** The sample belongs to the current family (with a histogram's suffixes), or starts an untyped one. */
function familyOf(name: string, current: MetricFamily | undefined): MetricFamily | undefined {
  if (!current) return undefined
  if (name === current.name) return current.type === 'histogram' ? fail(`histogram ${name} has a bare sample`) : current
  if (current.type === 'histogram' || current.type === 'summary') {
    for (const suffix of ['_bucket', '_sum', '_count']) if (name === current.name + suffix) return current
  }
  return undefined
}

function fail(message: string): never {
  throw new Error(message)
}

function parseSample(line: string, where: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? ([^ ]+)(?: (-?\d+))?$/.exec(line)
  if (!m) throw new Error(`malformed sample (${where})`)
  return { name: m[1]!, labels: m[2] ? parseLabels(m[2], where) : {}, value: parseValue(m[3]!, where) }
}

function parseValue(v: string, where: string): number {
  if (v === '+Inf' || v === 'Inf') return Infinity
  if (v === '-Inf') return -Infinity
  if (v === 'NaN') return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`bad value ${v} (${where})`)
  return Number(v)
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let i = 1
  while (i < text.length - 1) {
    const eq = text.indexOf('=', i)
    if (eq < 0) throw new Error(`label without value (${where})`)
    const name = text.slice(i, eq)
    if (!LABEL.test(name)) throw new Error(`bad label name "${name}" (${where})`)
    if (name in labels) throw new Error(`duplicate label ${name} (${where})`)
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value (${where})`)
    let value = ''
    let j = eq + 2
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j]
        if (next === 'n') value += '\n'
        else if (next === '\\' || next === '"') value += next
        else throw new Error(`bad escape \\${next} (${where})`)
      } else if (text[j] === '\n') throw new Error(`raw newline in label value (${where})`)
      else value += text[j]
    }
    if (j >= text.length) throw new Error(`unterminated label value (${where})`)
    labels[name] = value
    i = j + 1
    if (text[i] === ',') i++
    else if (i !== text.length - 1) throw new Error(`expected , or } after label ${name} (${where})`)
  }
  return labels
}

/** Buckets per series: `le` ascending, counts cumulative, `+Inf` equal to `_count`. */
function checkHistogram(f: MetricFamily): void {
  const groups = new Map<string, { les: number[]; counts: number[]; count?: number; hasSum: boolean }>()
  for (const s of f.samples) {
    const { le, ...rest } = s.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { les: [], counts: [], hasSum: false }))
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${f.name}_bucket without le`)
      g.les.push(parseValue(le, f.name))
      g.counts.push(s.value)
    } else if (s.name.endsWith('_count')) g.count = s.value
    else if (s.name.endsWith('_sum')) g.hasSum = true
  }
  for (const [key, g] of groups) {
    const where = `${f.name}${key}`
    if (g.les.at(-1) !== Infinity) throw new Error(`${where}: no +Inf bucket`)
    for (let i = 1; i < g.les.length; i++) {
      if (!(g.les[i]! > g.les[i - 1]!)) throw new Error(`${where}: le not ascending`)
      if (g.counts[i]! < g.counts[i - 1]!) throw new Error(`${where}: buckets not cumulative`)
    }
    if (g.count === undefined || !g.hasSum) throw new Error(`${where}: missing _count or _sum`)
    if (g.counts.at(-1) !== g.count) throw new Error(`${where}: +Inf bucket != _count`)
  }
}

/** The value of one series, or undefined. */
export function valueOf(families: Map<string, MetricFamily>, name: string, labels: Record<string, string>): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value
    }
  }
  return undefined
}
