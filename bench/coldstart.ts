/**
 * Cold start: what wrangler would upload (gzip), what each package weighs in
 * it, what zod/mini would save, and how long the module takes to evaluate.
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { bundle, ROOT, TMP } from './bundle.js'
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
  for (const f of readdirSync(outdir)) {
    if (!/\.(m?js|wasm)$/.test(f) || !statSync(join(outdir, f)).isFile()) continue
    const b = readFileSync(join(outdir, f))
    bytes += b.length
    gzip += gz(b)
  }
  return { bytes, gzip }
}

export async function measureBundle(): Promise<BundleResult> {
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

export async function measureEval(runs = 5): Promise<{ edgevoyMs: number; bareMs: number; note: string }> {
  const edgevoy = await bundle(join(ROOT, 'src/index.ts'), 'eval-edgevoy', { stubCloudflare: true })
  const bare = await bundle(join(ROOT, 'bench/workers/bare.mjs'), 'eval-bare')
  return {
    edgevoyMs: await evalMs(edgevoy.path, runs),
    bareMs: await evalMs(bare.path, runs),
    note: 'Node, fresh process per run, module already read from disk; cloudflare:workers stubbed',
  }
}

export { KiB }
