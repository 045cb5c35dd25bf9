/**
 * Cold start: what wrangler would upload (gzip), what each package weighs in
 * it, what zod/mini would save, and how long the module takes to evaluate.
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { entrySource } from '../src/cli/worker-build.js'
import { bundle, ROOT, splitBundle, staticGraphBundle, TMP } from './bundle.js'
import { buildBase, builtWorker } from './built.js'
import { measureEvalWorkerd, type WorkerdEvalResult } from './eval-workerd.js'
import { median } from './stats.js'

const run = promisify(execFile)
const gz = (s: string | Buffer) => gzipSync(s).length
const KiB = 1024

export interface BundleResult {
  wranglerBytes: number
  wranglerGzipBytes: number
  /** The bare pass-through Worker, bundled the same way. */
  bareGzipBytes: number
  /** Bytes in the (unminified) esbuild output by package. */
  byPackage: Record<string, number>
  zod: { classicGzipBytes: number; miniGzipBytes: number }
  /** `edgevoy build --worker` with the seed config: the entry and its static chunks (what every isolate loads) vs the control plane's chunks. */
  dataPlaneGzipBytes: number
  /** The filters and the regex engine: data plane too, in chunks imported when a snapshot names them. */
  lazyDataPlaneGzipBytes: number
  controlPlaneGzipBytes: number
  error?: string
}

/** `wrangler deploy --dry-run --outdir`: the exact upload, gzipped as wrangler reports it. */
async function wranglerBundle(): Promise<{ bytes: number; gzip: number }> {
  const outdir = join(TMP, 'wrangler-out')
  await run('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    timeout: 120_000,
  })
  let bytes = 0
  let gzip = 0
  const files = readdirSync(outdir, { recursive: true }).map(String)
  for (const f of files) {
    if (!/\.(m?js|wasm)$/.test(f) || !statSync(join(outdir, f)).isFile()) continue
    const b = readFileSync(join(outdir, f))
    bytes += b.length
    gzip += gz(b)
  }
  return { bytes, gzip }
}

export async function measureBundle(): Promise<BundleResult> {
  const seed = await builtWorker('bundle-seed', buildBase(readFileSync(join(ROOT, 'routes/front-envoy.yaml'), 'utf8')))
  const [w, edgevoy, bare, classic, mini] = await Promise.all([
    wranglerBundle().catch((e: Error) => ({ bytes: NaN, gzip: NaN, error: e.message.split('\n').slice(0, 3).join(' ') })),
    bundle(join(ROOT, 'src/index.ts'), 'attribution'),
    bundle(join(ROOT, 'bench/workers/bare.mjs'), 'bare-size'),
    bundle(join(ROOT, 'bench/zod-classic.ts'), 'zod-classic'),
    bundle(join(ROOT, 'bench/zod-mini.ts'), 'zod-mini'),
  ])
  const byPackage: Record<string, number> = {}
  for (const [file, info] of Object.entries(Object.values(edgevoy.metafile.outputs)[0]!.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)
    const key = m ? m[1]! : file.startsWith('src/') ? `src/${file.split('/')[1]}` : file.replace(/^.*\//, '')
    byPackage[key] = (byPackage[key] ?? 0) + info.bytesInOutput
  }
  return {
    wranglerBytes: w.bytes,
    wranglerGzipBytes: w.gzip,
    bareGzipBytes: gz(bare.text),
    byPackage: Object.fromEntries(Object.entries(byPackage).sort((a, b) => b[1] - a[1])),
    zod: { classicGzipBytes: gz(classic.text), miniGzipBytes: gz(mini.text) },
    dataPlaneGzipBytes: seed.dataPlaneGzip,
    lazyDataPlaneGzipBytes: seed.lazyGzip,
    controlPlaneGzipBytes: seed.controlPlaneGzip,
    ...('error' in w ? { error: w.error } : {}),
  }
}

/**
 * Time `import()` of a module in a fresh Node process, once. The time is read
 * before anything is written: `process.stdout` is a lazy getter that builds
 * the stream (~4 ms on this machine), and reading it inside the timed span
 * added that to every case alike, pulling every ratio towards 1.
 */
async function evalOnce(path: string): Promise<number> {
  const code = `const t = performance.now(); await import(${JSON.stringify('file://' + path)}); const ms = performance.now() - t; process.stdout.write(String(ms))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { timeout: 60_000 })
  return Number(stdout)
}

export interface EvalResult {
  /** The whole Worker in one module (as `edgevoy dev` bundles it), unminified. */
  edgevoyMs: number
  /** The data-plane entry's static graph as deployed (minified), in one module: the goal's figure. */
  dataPlaneMs: number
  /** The same code as the two files `edgevoy build` writes (the entry and its static chunk), each read from disk by Node's loader. */
  dataPlaneFilesMs: number
  bareMs: number
  /** Per-round ratio data plane / bare (rounds are interleaved): lowest and highest. */
  ratioRange: [number, number]
  dataPlaneBytes: number
  runs: number
  /** One new isolate's start-up in workerd, bare and data plane (bench/eval-workerd.ts): the goal holds when this and the Node figure both do. */
  workerd?: WorkerdEvalResult | { error: string }
  note: string
}

export async function measureEval(runs = 5): Promise<EvalResult> {
  const seedBase = buildBase(readFileSync(join(ROOT, 'routes/front-envoy.yaml'), 'utf8'))
  const edgevoy = await bundle(join(ROOT, 'src/index.ts'), 'eval-edgevoy', { stubCloudflare: true })
  // What a deployed isolate evaluates: the data-plane entry with the seed snapshot and its static graph, minified as `edgevoy build` writes it.
  const dataPlane = await staticGraphBundle(entrySource(seedBase), 'eval-data-plane', { minify: true })
  const dataPlaneFiles = await splitBundle(entrySource(seedBase), 'eval-data-plane-files', { minify: true })
  const bare = await bundle(join(ROOT, 'bench/workers/bare.mjs'), 'eval-bare', { minify: true })
  const times = { edgevoy: [] as number[], dataPlane: [] as number[], dataPlaneFiles: [] as number[], bare: [] as number[] }
  // Interleaved, so machine noise hits every case alike.
  for (let i = 0; i < runs; i++) {
    times.bare.push(await evalOnce(bare.path))
    times.dataPlane.push(await evalOnce(dataPlane.path))
    times.dataPlaneFiles.push(await evalOnce(dataPlaneFiles.entry))
    times.edgevoy.push(await evalOnce(edgevoy.path))
  }
  const ratios = times.dataPlane.map((t, i) => t / times.bare[i]!)
  // The same code in workerd, cloudflare:workers its own (not the stub Node needs).
  const workerdDataPlane = await staticGraphBundle(entrySource(seedBase), 'eval-data-plane-workerd', { minify: true, stubCloudflare: false })
  const workerd = await measureEvalWorkerd({ bare: bare.text, dataPlane: workerdDataPlane.text }, runs).catch((e: Error) => ({ error: e.message.split('\n')[0]! }))
  return {
    edgevoyMs: median(times.edgevoy),
    dataPlaneMs: median(times.dataPlane),
    dataPlaneFilesMs: median(times.dataPlaneFiles),
    bareMs: median(times.bare),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    dataPlaneBytes: dataPlane.bytes,
    runs,
    workerd,
    note: 'Node, fresh process per run, time of import() read before any output; cloudflare:workers stubbed; data plane and bare minified as deployed',
  }
}

export { KiB }
