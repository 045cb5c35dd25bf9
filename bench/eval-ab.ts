/**
 * A diagnostic beside `npm run bench`'s eval case, for a change to the
 * data-plane entry's static graph too small to see against the bare
 * Worker's own spread between runs: the static graph with the seed config
 * (minified, as one module: bench/bundle.ts staticGraphBundle) built from
 * another checkout ("main") and from this tree ("branch"), compared directly
 * — in workerd, main in the bare Worker's place (bench/eval-workerd.ts: CPU per
 * new isolate, 1 and 41 isolates per round, interleaved), and in Node, a
 * fresh process importing each, interleaved with the bare Worker.
 *   node --import tsx bench/eval-ab.ts /path/to/main/checkout [workerd rounds] [node rounds]
 * (e.g. `git archive main | tar -x -C /tmp/main && ln -s $PWD/node_modules /tmp/main/`)
 * Both are built by this tree's esbuild and compiler from the same seed snapshot:
 * only the data plane's own modules (src/ of each checkout) differ.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { entrySource } from '../src/cli/worker-build.js'
import { bundle, ROOT, staticGraphBundle } from './bundle.js'
import { buildBase } from './built.js'
import { measureEvalWorkerd } from './eval-workerd.js'
import { median } from './stats.js'

const mainRoot = process.argv[2] ? resolve(process.argv[2]) : undefined
if (!mainRoot) throw new Error('usage: node --import tsx bench/eval-ab.ts /path/to/main/checkout [workerd rounds] [node rounds]')
const workerdRounds = Number(process.argv[3] ?? 9)
const nodeRounds = Number(process.argv[4] ?? 21)
const run = promisify(execFile)

const base = buildBase(readFileSync(join(ROOT, 'routes/front-envoy.yaml'), 'utf8'))
const branchEntry = entrySource(base)
// The same generated entry, importing the other checkout's src/ (esbuild resolves its hono from there).
const mainEntry = branchEntry.replaceAll(JSON.stringify(join(ROOT, 'src')).slice(0, -1), JSON.stringify(join(mainRoot, 'src')).slice(0, -1))
if (mainEntry === branchEntry) throw new Error('the entry did not change: is the main checkout this tree?')

const built = {
  main: await staticGraphBundle(mainEntry, 'ab-main', { minify: true }),
  branch: await staticGraphBundle(branchEntry, 'ab-branch', { minify: true }),
  mainWorkerd: await staticGraphBundle(mainEntry, 'ab-main-workerd', { minify: true, stubCloudflare: false }),
  branchWorkerd: await staticGraphBundle(branchEntry, 'ab-branch-workerd', { minify: true, stubCloudflare: false }),
  bare: await bundle(join(ROOT, 'bench/workers/bare.mjs'), 'ab-bare', { minify: true }),
}
console.log(`static graph, minified: main ${built.main.bytes} bytes, branch ${built.branch.bytes} bytes (${built.branch.bytes - built.main.bytes})`)

async function evalOnce(path: string): Promise<number> {
  const code = `const t = performance.now(); await import(${JSON.stringify('file://' + path)}); const ms = performance.now() - t; process.stdout.write(String(ms))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { timeout: 60_000 })
  return Number(stdout)
}

const t = { bare: [] as number[], main: [] as number[], branch: [] as number[] }
for (let i = 0; i < nodeRounds; i++) {
  // Alternate which goes first, so a drift in load favours neither.
  const order = i % 2 === 0 ? (['bare', 'main', 'branch'] as const) : (['bare', 'branch', 'main'] as const)
  for (const k of order) t[k].push(await evalOnce(k === 'bare' ? built.bare.path : built[k].path))
}
const diffs = t.branch.map((b, i) => b - t.main[i]!)
console.log(
  `Node, fresh process import(), median of ${nodeRounds}: bare ${median(t.bare).toFixed(2)} ms, main ${median(t.main).toFixed(2)} ms (${(median(t.main) / median(t.bare)).toFixed(2)}×), ` +
    `branch ${median(t.branch).toFixed(2)} ms (${(median(t.branch) / median(t.bare)).toFixed(2)}×); branch − main per round: median ${median(diffs).toFixed(2)} ms`,
)

const w = await measureEvalWorkerd({ bare: built.mainWorkerd.text, dataPlane: built.branchWorkerd.text }, workerdRounds)
console.log(
  `workerd, CPU per new isolate (${w.isolates} vs 1, ${w.rounds} rounds): main ${w.bareCpuMs.toFixed(2)} ms, branch ${w.dataPlaneCpuMs.toFixed(2)} ms ` +
    `(branch / main ${(w.dataPlaneCpuMs / w.bareCpuMs).toFixed(3)}, per round ${w.ratioRange.map((r) => r.toFixed(2)).join('–')})`,
)
