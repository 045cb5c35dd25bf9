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
import { bundle, ROOT, splitBundle, TMP } from './bundle.js'
import { buildBase, builtWorker } from './built.js'
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

/** Evaluate a module in fresh Node processes; median ms of `import()` alone. */
async function evalMs(path: string, runs: number): Promise<number> {
  const code = `const t = performance.now(); await import(${JSON.stringify('file://' + path)}); process.stdout.write(String(performance.now() - t))`
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { timeout: 60_000 })
    times.push(Number(stdout))
  }
  return median(times)
}

export async function measureEval(runs = 5): Promise<{ edgevoyMs: number; dataPlaneMs: number; bareMs: number; note: string }> {
  // The whole Worker in one module (as `edgevoy dev` bundles it): the control plane is in it, lazily initialized.
  const edgevoy = await bundle(join(ROOT, 'src/index.ts'), 'eval-edgevoy', { stubCloudflare: true })
  // What a deployed isolate evaluates: the data-plane entry with the seed snapshot, and its static chunks.
  const dataPlane = await splitBundle(entrySource(buildBase(readFileSync(join(ROOT, 'routes/front-envoy.yaml'), 'utf8'))), 'eval-data-plane')
  const bare = await bundle(join(ROOT, 'bench/workers/bare.mjs'), 'eval-bare')
  const times = { edgevoy: [] as number[], dataPlane: [] as number[], bare: [] as number[] }
  // Interleaved, so machine noise hits all three alike.
  for (let i = 0; i < runs; i++) {
    times.bare.push(await evalMs(bare.path, 1))
    times.dataPlane.push(await evalMs(dataPlane.entry, 1))
    times.edgevoy.push(await evalMs(edgevoy.path, 1))
  }
  return {
    edgevoyMs: median(times.edgevoy),
    dataPlaneMs: median(times.dataPlane),
    bareMs: median(times.bare),
    note: 'Node, fresh process per run, module already read from disk; cloudflare:workers stubbed; unminified',
  }
}

export { KiB }
