/** The results object → the Markdown tables `npm run bench` prints (and BENCHMARKS.md quotes). */
import { fmt } from './stats.js'
import type { RoutingCase } from './routing.js'
import type { RuntimeResult } from './runtime.js'
import type { BundleResult } from './coldstart.js'
import type { RegexResult } from './regex.js'

type Any = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const row = (cells: readonly unknown[]) => `| ${cells.map((c) => String(c)).join(' | ')} |`
const table = (head: readonly string[], rows: readonly (readonly unknown[])[]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n')
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`
const ok = (holds: boolean) => (holds ? 'yes' : '**no**')
const failed = (x: unknown): x is { error: string } => typeof x === 'object' && x !== null && 'error' in x && !('cases' in x)

export function printReport(r: Any): string {
  const out: string[] = []
  const goals: [string, string, boolean][] = []
  /** Issue 14's goals: each with its baseline from the same run. */
  const goals14: [string, string, string, boolean][] = []
  const m = r.machine
  out.push(`## edgevoy benchmarks — ${r.date}\n\nMachine: ${m.nproc} × ${m.cpu}, Node ${m.node}, load average at start ${m.loadavg.map((x: number) => x.toFixed(2)).join(' ')}\n`)

  if (r.routing && !failed(r.routing)) {
    const cases = r.routing.cases as RoutingCase[]
    const names = Object.keys(cases[0]!.impls)
    out.push('### Routing decision (virtual host + route), ns per request, Node — speed-up is against the linear scan\n')
    out.push(
      table(
        ['routes', 'vhosts', ...names.flatMap((n) => (n === 'linear' ? [`${n} p50`, `${n} p99`] : [`${n} p50`, `${n} p99`, `${n} speed-up p50 / p99`, `${n} build ms`]))],
        cases.map((c) => {
          const l = c.impls.linear!
          return [
            c.routes,
            c.virtualHosts,
            ...names.flatMap((n) => {
              const i = c.impls[n]!
              return n === 'linear' ? [fmt(i.medianNs), fmt(i.p99Ns)] : [fmt(i.medianNs), fmt(i.p99Ns), `${fmt(l.medianNs / i.medianNs)}× / ${fmt(l.p99Ns / i.p99Ns)}×`, fmt(c.buildMs[n]!)]
            }),
          ]
        }),
      ),
    )
    const s = r.routing.slopes as Record<string, number>
    out.push(`\nSlope of log(p50) vs log(routes), 10 → 10,000 routes (1 = linear, 0 = flat): ${Object.entries(s).map(([n, v]) => `${n} ${fmt(v)}`).join(', ')}.`)
    const byKind = cases.at(-1)!
    out.push(`At ${byKind.routes} routes, p50 by request kind — ${Object.entries(byKind.impls).map(([n, i]) => `${n}: ${Object.entries(i.byKind).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`).join('; ')} ns.\n`)
    if (byKind.impls['edgevoy+RegExp']) {
      // The regex engine's cost: each index against its own linear scan, before (V8 RegExp) and after (linear-time engine).
      out.push(`Regex engine (routes with safe_regex: 1 in 10): speed-up against the linear scan, p50, before (V8 RegExp) → after (linear-time engine): ${cases
        .map((c) => `${c.routes} routes ${fmt(c.impls['linear+RegExp']!.medianNs / c.impls['edgevoy+RegExp']!.medianNs)}× → ${fmt(c.impls.linear!.medianNs / c.impls.edgevoy!.medianNs)}×`)
        .join(', ')}; edgevoy p50 after / before: ${cases.map((c) => fmt(c.impls.edgevoy!.medianNs / c.impls['edgevoy+RegExp']!.medianNs)).join(', ')}; linear scan after / before: ${cases.map((c) => fmt(c.impls.linear!.medianNs / c.impls['linear+RegExp']!.medianNs)).join(', ')}.\n`)
    }
    const big = cases.at(-1)!
    goals.push(['routing: 10k routes ≥ 20× faster than linear (p50)', `${fmt(big.impls.linear!.medianNs / big.impls.edgevoy!.medianNs)}×`, big.impls.linear!.medianNs / big.impls.edgevoy!.medianNs >= 20])
    goals.push(['routing: 10k routes p50 < 2 µs', `${fmt(big.impls.edgevoy!.medianNs / 1000)} µs`, big.impls.edgevoy!.medianNs < 2000])
    goals.push(['routing: sub-linear growth (slope < 1)', fmt(s.edgevoy!), s.edgevoy! < 1])
  } else if (r.routing) out.push(`### Routing\n\nfailed: ${r.routing.error}\n`)

  if (r.regex && !failed(r.regex)) {
    const x = r.regex as RegexResult
    out.push('### Regex engine\n')
    out.push(`Size (minified, gzip): runtime ${kib(x.runtimeGzipBytes)}, runtime + compiler from the RE2 parse tree ${kib(x.engineGzipBytes)} (the parser itself was already in the bundle).\n`)
    const lengths = Object.keys(x.rows[0]!.backtracking)
    out.push(
      table(
        ['pattern', 'engine: routing decision, /a…a! (10,000 a), first ms', 'engine: median ms', ...lengths.map((n) => `V8 RegExp (before), ${n} a, ms`)],
        x.rows.map((row) => [`\`${row.pattern}\``, fmt(row.engineFirstMs), fmt(row.engineMs), ...lengths.map((n) => fmt(row.backtracking[Number(n)]!))]),
      ),
    )
    out.push('')
  } else if (r.regex) out.push(`### Regex engine\n\nfailed: ${r.regex.error}\n`)

  out.push('### Cold start\n')
  const cold: unknown[][] = []
  const b = r.bundle as BundleResult | { error: string } | undefined
  if (b && !failed(b)) {
    cold.push(['bundle (wrangler --dry-run, gzip)', kib(b.wranglerGzipBytes), `bare Worker ${kib(b.bareGzipBytes)}`, '≤ 150 KiB', ok(b.wranglerGzipBytes <= 150 * 1024)])
    cold.push(['  of which zod / yaml / hono (raw bytes in bundle)', `${kib(b.byPackage.zod ?? 0)} / ${kib(b.byPackage.yaml ?? 0)} / ${kib(b.byPackage.hono ?? 0)}`, `whole bundle ${kib(b.wranglerBytes)} raw`, '', ''])
    cold.push(['  zod → zod/mini (same schema, gzip)', `${kib(b.zod.classicGzipBytes)} → ${kib(b.zod.miniGzipBytes)}`, `saves ${kib(b.zod.classicGzipBytes - b.zod.miniGzipBytes)}`, '', ''])
    goals.push(['bundle ≤ 150 KiB gzip', kib(b.wranglerGzipBytes), b.wranglerGzipBytes <= 150 * 1024])
    if (b.dataPlaneGzipBytes !== undefined) {
      // The upload goal counts all of the data plane: the entry's static graph and the filter / regex-engine chunks.
      const lazy = b.lazyDataPlaneGzipBytes ?? 0
      const upload = b.dataPlaneGzipBytes + lazy
      cold.push(['  data plane: entry + its static chunks (gzip, seed config)', kib(b.dataPlaneGzipBytes), `+ filters, balancers, regex engine, access logs & tracing, outlier detection, mirroring, the health hub's core… ${kib(lazy)} (imported when a snapshot names them); control plane chunks ${kib(b.controlPlaneGzipBytes)} (loaded on first admin/authority/xDS use)`, '≤ 100 KiB with filters', ok(upload <= 100 * 1024)])
      goals14.push(['data-plane upload ≤ 100 KiB gzip', kib(upload), `entry + static chunks ${kib(b.dataPlaneGzipBytes)}, on-demand chunks (filters, balancers, regex engine, …) ${kib(lazy)}; whole upload ${kib(b.wranglerGzipBytes)}; control plane ${kib(b.controlPlaneGzipBytes)}`, upload <= 100 * 1024])
    }
  } else if (b) cold.push(['bundle', `failed: ${b.error}`, '', '', ''])
  if (r.eval && !failed(r.eval)) {
    cold.push(['module evaluation, whole Worker in one module (Node, fresh process)', `${fmt(r.eval.edgevoyMs)} ms`, `bare Worker ${fmt(r.eval.bareMs)} ms (${fmt(r.eval.edgevoyMs / r.eval.bareMs)}×)`, '—', ''])
    if (r.eval.dataPlaneMs !== undefined) {
      const ratio = r.eval.dataPlaneMs / r.eval.bareMs
      const range = r.eval.ratioRange ? `; per round ${fmt(r.eval.ratioRange[0])}–${fmt(r.eval.ratioRange[1])}×, ${r.eval.runs} rounds` : ''
      const size = r.eval.dataPlaneBytes ? `, ${kib(r.eval.dataPlaneBytes)} minified` : ''
      const wd = r.eval.workerd
      const inWorkerd = wd && !failed(wd)
      // The issue asks for the goal "measured the same way as today" (Node's fresh-process import()),
      // and workerd's figure is what a new isolate pays where it runs: the goal holds only when both do.
      const goalRatio = inWorkerd ? Math.max(wd.dataPlaneCpuMs / wd.bareCpuMs, ratio) : ratio
      if (inWorkerd) {
        const wdRatio = wd.dataPlaneCpuMs / wd.bareCpuMs
        cold.push(['one new isolate in workerd: start-up incl. module evaluation, CPU (data-plane entry as deployed)', `${fmt(wd.dataPlaneCpuMs)} ms`, `bare Worker ${fmt(wd.bareCpuMs)} ms (${fmt(wdRatio)}×; per round ${fmt(wd.ratioRange[0])}–${fmt(wd.ratioRange[1])}×, ${wd.rounds} rounds of 1 and ${wd.isolates} isolates; wall ${fmt(wd.dataPlaneWallMs)} / ${fmt(wd.bareWallMs)} ms)`, '≤ 2× bare', ok(wdRatio <= 2)])
      } else if (wd) cold.push(['one new isolate in workerd', `failed: ${wd.error}`, '', '', ''])
      cold.push(['module evaluation in Node (fresh process), data-plane entry (as deployed: minified, its static graph)', `${fmt(r.eval.dataPlaneMs)} ms`, `bare Worker ${fmt(r.eval.bareMs)} ms (${fmt(ratio)}×${range}${size})`, '≤ 2× bare', ok(ratio <= 2)])
      if (r.eval.dataPlaneFilesMs !== undefined) cold.push(['  same code as the two files `edgevoy build` writes (Node reads each from disk)', `${fmt(r.eval.dataPlaneFilesMs)} ms`, `${fmt(r.eval.dataPlaneFilesMs / r.eval.bareMs)}× bare`, '', ''])
      const measured = inWorkerd
        ? `workerd ${fmt(wd.dataPlaneCpuMs)} ms CPU per new isolate (${fmt(wd.dataPlaneCpuMs / wd.bareCpuMs)}×, rounds ${fmt(wd.ratioRange[0])}–${fmt(wd.ratioRange[1])}×); Node ${fmt(r.eval.dataPlaneMs)} ms (${fmt(ratio)}×${range})`
        : `${fmt(r.eval.dataPlaneMs)} ms (${fmt(ratio)}×${range})`
      goals14.push(['data-plane module evaluation ≤ 2× bare', measured, inWorkerd ? `bare ${fmt(wd.bareCpuMs)} ms (workerd), ${fmt(r.eval.bareMs)} ms (Node)` : `bare ${fmt(r.eval.bareMs)} ms`, goalRatio <= 2])
    }
  }
  const ld = r.load
  if (ld && !failed(ld)) {
    const p = (x: Any) => `load ${fmt(x.loadMs)} + index ${fmt(x.indexMs)}`
    // Each first run is the median of several fresh processes (bench/main.ts loadRuns); older results have one.
    const runs = (ld.runs ?? []) as { seedColdMs: number; largeColdMs: number }[]
    const spread = (f: (x: { seedColdMs: number; largeColdMs: number }) => number) =>
      runs.length > 1 ? `; median of ${runs.length} fresh processes (${fmt(Math.min(...runs.map(f)))}–${fmt(Math.max(...runs.map(f)))} ms)` : ''
    cold.push(['seed snapshot: load + index, first run', `${fmt(ld.seed.cold.totalMs)} ms`, p(ld.seed.cold) + spread((x) => x.seedColdMs), '≤ 3 ms', ok(ld.seed.cold.totalMs <= 3)])
    cold.push(['seed snapshot, warm (median of 20)', `${fmt(ld.seed.warmMs)} ms`, `${kib(ld.seed.bytes)} serialized`, '≤ 1 ms', ok(ld.seed.warmMs <= 1)])
    cold.push(['10k routes / 1k clusters snapshot, first run', `${fmt(ld.large.cold.totalMs)} ms`, `${p(ld.large.cold)}; ${kib(ld.large.bytes)} serialized` + spread((x) => x.largeColdMs), '≤ 100 ms', ok(ld.large.cold.totalMs <= 100)])
    cold.push(['  same, warm (median of 3)', `${fmt(ld.large.warmMs)} ms`, '', '', ''])
    const rx = ld.large.regexes
    if (rx)
      cold.push([
        '  left to first use: a safe_regex program is unpacked when the regex first runs',
        `${fmt(rx.unpackUs)} µs per regex`,
        `${rx.count} distinct regexes; a first run in all (unpack + the DFA's start, lazy before) ${fmt(rx.firstUs)} µs, a later one ${fmt(rx.againUs)} µs`,
        '',
        '',
      ])
    cold.push(['  heap while loading: peak above baseline / retained after GC', `${fmt(ld.large.peakMiB)} / ${fmt(ld.large.retainedMiB)} MiB`, 'Node V8 heapUsed, --expose-gc', '≤ 48 / ≤ 32 MiB', ok(ld.large.peakMiB <= 48 && ld.large.retainedMiB <= 32)])
    const compileBase = r.compile && !failed(r.compile) ? r.compile : undefined
    goals14.push(['seed snapshot load ≤ 1 ms warm', `${fmt(ld.seed.warmMs)} ms`, compileBase ? `compiling it: ${fmt(compileBase.seed.warm.totalMs)} ms` : '—', ld.seed.warmMs <= 1])
    goals14.push(['seed snapshot load ≤ 3 ms first run', `${fmt(ld.seed.cold.totalMs)} ms`, compileBase ? `compiling it: ${fmt(compileBase.seed.cold.totalMs)} ms` : '—', ld.seed.cold.totalMs <= 3])
    goals14.push(['10k routes / 1k clusters ≤ 100 ms first run incl. index', `${fmt(ld.large.cold.totalMs)} ms`, compileBase ? `compiling it: ${fmt(compileBase.large.cold.totalMs)} ms` : '—', ld.large.cold.totalMs <= 100])
    goals14.push(['peak heap while loading ≤ 48 MiB', `${fmt(ld.large.peakMiB)} MiB`, 'above the empty process', ld.large.peakMiB <= 48])
    goals14.push(['retained ≤ 32 MiB', `${fmt(ld.large.retainedMiB)} MiB`, '', ld.large.retainedMiB <= 32])
  }
  if (r.compile && !failed(r.compile)) {
    const c = r.compile
    const phases = (p: Any) => `parse ${fmt(p.parseMs)} + validate ${fmt(p.validateMs)} + compile ${fmt(p.compileMs)} + index ${fmt(p.indexMs)}`
    cold.push(['seed config: load + compile + index, first run', `${fmt(c.seed.cold.totalMs)} ms`, phases(c.seed.cold), '≤ 2 ms', ok(c.seed.cold.totalMs <= 2)])
    cold.push(['seed config, warm (median of 20)', `${fmt(c.seed.warm.totalMs)} ms`, phases(c.seed.warm), '≤ 2 ms', ok(c.seed.warm.totalMs <= 2)])
    cold.push([`${c.large.routes} routes / ${c.large.clusters} clusters (${kib(c.large.bytes)} JSON), first run`, `${fmt(c.large.cold.totalMs)} ms`, phases(c.large.cold), '≤ 100 ms', ok(c.large.cold.totalMs <= 100)])
    cold.push(['  same, warm', `${fmt(c.large.warm.totalMs)} ms`, phases(c.large.warm), '≤ 100 ms', ok(c.large.warm.totalMs <= 100)])
    goals.push(['seed compile ≤ 2 ms (first run / warm)', `${fmt(c.seed.cold.totalMs)} / ${fmt(c.seed.warm.totalMs)} ms`, c.seed.cold.totalMs <= 2])
    goals.push(['10k routes compile ≤ 100 ms', `${fmt(c.large.cold.totalMs)} ms`, c.large.cold.totalMs <= 100])
  }
  out.push(table(['figure', 'edgevoy', 'baseline / detail', 'goal', 'holds'], cold) + '\n')

  const rt = r.runtime as RuntimeResult | { error: string } | undefined
  if (rt && !failed(rt)) {
    const a = rt.cases['a bare worker']
    out.push(`### Through workerd (Miniflare), ${rt.tool}, 1 thread, ${rt.connections} connections, ${rt.seconds} s per case per round\n`)
    out.push(
      table(
        ['case', 'req/s', 'p50 ms', 'p99 ms', 'workerd CPU µs/req', 'req/s vs a', 'p99 vs a', 'first request ms', 'errors'],
        Object.entries(rt.cases).map(([name, c]) => [name, fmt(c.rps), fmt(c.p50Ms), fmt(c.p99Ms), c.cpuUsPerRequest === undefined ? '—' : fmt(c.cpuUsPerRequest), a ? fmt(c.rps / a.rps) : '—', a ? fmt(c.p99Ms / a.p99Ms) : '—', fmt(rt.firstRequestMs[name] ?? NaN), c.errors]),
      ) + '\n',
    )
    const pa = rt.paced?.cases['a bare worker']
    const pb = rt.paced?.cases['b edgevoy seed']
    if (rt.paced && pa && pb)
      out.push(
        `Below saturation, each request timed by the client (${rt.paced.connections} connections, each ${rt.paced.paceMs} ms after an answer, 2 × ${rt.paced.seconds} s per case): ` +
          `bare ${fmt(pa.rps)} req/s, p50 ${fmt(pa.p50Ms)} ms, p99 ${fmt(pa.p99Ms)} ms; seed ${fmt(pb.rps)} req/s, p50 ${fmt(pb.p50Ms)} ms, p99 ${fmt(pb.p99Ms)} ms ` +
          `(+${fmt(pb.p50Ms - pa.p50Ms)} ms at p50, p99 ${fmt(pb.p99Ms / pa.p99Ms)}× bare). The p99 goal is judged on the saturated runs above.\n`,
      )
    const heap = rt.heapMiB
    if ('error' in heap) out.push(`workerd isolate heap: not readable (${String(heap.error)})\n`)
    else {
      out.push(`workerd isolate heap (V8 usedSize from the inspector after the load runs, no forced GC): ${Object.entries(heap).map(([k, v]) => `${k} ${fmt(v)} MiB`).join(', ')}\n`)
      if (heap.big !== undefined) goals.push(['memory in workerd: 10k-route isolate heap ≤ 32 MiB', `${fmt(heap.big)} MiB`, heap.big <= 32])
    }
    const bb = rt.cases['b edgevoy seed']
    const cc = rt.cases['c edgevoy 10k']
    if (a && bb) {
      goals.push(['b/a throughput ≥ 0.85', fmt(bb.rps / a.rps), bb.rps / a.rps >= 0.85])
      goals.push(['b/a p99 ≤ 1.2×', fmt(bb.p99Ms / a.p99Ms), bb.p99Ms / a.p99Ms <= 1.2])
      // The floor (bench/workers/bare-hono.mjs: bare plus Envoy's route timeout over the body and a Hono app, none of
      // edgevoy's code) says how much of each gap is the runtime's price for those, not edgevoy's own work.
      const e = rt.cases['e floor: bare + route timeout + Hono']
      goals14.push(['seed config throughput ≥ 0.85× bare', `${fmt(bb.rps)} req/s (${fmt(bb.rps / a.rps)}×)`, `bare ${fmt(a.rps)} req/s${e ? `; floor ${fmt(e.rps)} req/s (${fmt(e.rps / a.rps)}×)` : ''}`, bb.rps / a.rps >= 0.85])
      goals14.push(['seed config p99 ≤ 1.2× bare', `${fmt(bb.p99Ms)} ms (${fmt(bb.p99Ms / a.p99Ms)}×)`, `bare ${fmt(a.p99Ms)} ms${e ? `; floor ${fmt(e.p99Ms)} ms (${fmt(e.p99Ms / a.p99Ms)}×)` : ''}`, bb.p99Ms / a.p99Ms <= 1.2])
      if (bb.cpuUsPerRequest !== undefined && a.cpuUsPerRequest !== undefined) {
        const extra = bb.cpuUsPerRequest - a.cpuUsPerRequest
        const floor = e?.cpuUsPerRequest !== undefined ? `; floor ${fmt(e.cpuUsPerRequest)} µs (+${fmt(e.cpuUsPerRequest - a.cpuUsPerRequest)}), ${fmt(e.rps / a.rps)}× req/s` : ''
        goals14.push(['workerd CPU/request within +150 µs of bare', `${fmt(bb.cpuUsPerRequest)} µs (+${fmt(extra)})`, `bare ${fmt(a.cpuUsPerRequest)} µs${floor}`, extra <= 150])
      }
    }
    if (a && cc) goals.push(['c/a throughput (10k routes; goal as b/a)', fmt(cc.rps / a.rps), cc.rps / a.rps >= 0.85])
  } else if (rt) out.push(`### Through workerd\n\nfailed: ${rt.error}\n`)

  const mem = r.memory
  if (mem && !failed(mem)) {
    out.push('### Memory, 10k routes / 1k clusters (V8 heap in Node with --expose-gc, approximating a workerd isolate)\n')
    out.push(table(['figure', 'MiB', 'goal', 'holds'], [
      ['retained by snapshot + route indexes', fmt(mem.retainedMiB), '≤ 32 MiB', ok(mem.retainedMiB <= 32)],
      ['heap used after load (incl. empty-process baseline ' + fmt(mem.baselineMiB) + ')', fmt(mem.heapUsedMiB), '', ''],
      ['peak heap used while loading (sampled, includes garbage)', fmt(mem.peakMiB), '< 128 MiB isolate limit', ok(mem.peakMiB < 128)],
    ]) + '\n')
    goals.push(['memory: retained ≤ 32 MiB', `${fmt(mem.retainedMiB)} MiB`, mem.retainedMiB <= 32])
  }

  if (goals14.length) {
    out.push('### Goals of issue 14 (compile once; a data plane that carries only the data plane)\n')
    out.push(table(['goal', 'measured', 'baseline (same run)', 'holds'], goals14.map(([g, v, base, h]) => [g, v, base, ok(h)])) + '\n')
  }
  out.push('### Goals\n')
  out.push(table(['goal', 'measured', 'holds'], goals.map(([g, v, h]) => [g, v, ok(h)])))
  out.push(`\nTotal run time: ${fmt(r.totalSeconds)} s\n`)
  return out.join('\n') + '\n'
}
