/**
 * Bundles for the benchmarks, built the way src/cli/bundle.ts builds the
 * Worker (same esbuild options), into a temp dir so a running `edgevoy dev`
 * is never disturbed.
 */
import { build, type Metafile, type Plugin } from 'esbuild'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WORKER_BUILD_OPTIONS } from '../src/cli/bundle.js'
import { dataPlaneChunk } from '../src/cli/worker-build.js'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const TMP = mkdtempSync(join(tmpdir(), 'edgevoy-bench-'))

/** `cloudflare:workers` as plain classes, so Node can evaluate the bundle to time it. */
export const cloudflareStub: Plugin = {
  name: 'cloudflare-stub',
  setup(b) {
    b.onResolve({ filter: /^cloudflare:/ }, (a) => ({ path: a.path, namespace: 'cf-stub' }))
    b.onLoad({ filter: /.*/, namespace: 'cf-stub' }, () => ({
      contents: 'export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env } }\nexport class WorkerEntrypoint {}\nexport const env = {}\n',
      loader: 'js',
    }))
  },
}

export async function bundle(entry: string, name: string, options: { stubCloudflare?: boolean; minify?: boolean } = {}): Promise<{ path: string; text: string; metafile: Metafile }> {
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    entryPoints: [entry],
    external: options.stubCloudflare ? [] : [...WORKER_BUILD_OPTIONS.external],
    plugins: options.stubCloudflare ? [cloudflareStub] : [],
    metafile: true,
    minify: options.minify === true,
  })
  const text = result.outputFiles[0]!.text
  const path = join(TMP, `${name}.mjs`)
  writeFileSync(path, text)
  return { path, text, metafile: result.metafile }
}

/**
 * The data-plane entry as `edgevoy build` splits it (src/cli/worker-build.ts),
 * unminified and with `cloudflare:workers` stubbed so Node can evaluate it:
 * importing the entry loads its static chunks only, as an isolate that only
 * proxies does.
 */
export async function splitBundle(entrySourceText: string, name: string, options: { minify?: boolean } = {}): Promise<{ entry: string }> {
  const dir = join(TMP, name)
  mkdirSync(dir, { recursive: true })
  const entryFile = join(ROOT, '.edgevoy/build', `bench-${name}-${process.pid}.ts`)
  mkdirSync(dirname(entryFile), { recursive: true })
  writeFileSync(entryFile, entrySourceText)
  try {
    await build({
      ...WORKER_BUILD_OPTIONS,
      entryPoints: { index: entryFile },
      outdir: dir,
      splitting: true,
      write: true,
      external: [],
      plugins: [cloudflareStub, dataPlaneChunk()],
      outExtension: { '.js': '.mjs' },
      minify: options.minify === true,
    })
  } finally {
    rmSync(entryFile, { force: true })
  }
  return { entry: join(dir, 'index.mjs') }
}

/**
 * The same static graph as `splitBundle`'s entry and its static chunks, as
 * one module: every `import()` is left unresolved (an isolate evaluating the
 * entry never runs one). Node reads each module of a graph from disk through
 * its ESM loader (~1.2 ms for a second, one-line module on this machine:
 * BENCHMARKS.md, h-eval); workerd has the whole upload in memory, so the
 * module boundary is not what an isolate pays for.
 */
export async function staticGraphBundle(entrySourceText: string, name: string, options: { minify?: boolean; stubCloudflare?: boolean } = {}): Promise<{ path: string; text: string; bytes: number }> {
  const entryFile = join(ROOT, '.edgevoy/build', `bench-${name}-${process.pid}.ts`)
  mkdirSync(dirname(entryFile), { recursive: true })
  writeFileSync(entryFile, entrySourceText)
  const importsUnresolved: Plugin = {
    name: 'dynamic-imports-external',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined))
    },
  }
  try {
    const result = await build({
      ...WORKER_BUILD_OPTIONS,
      entryPoints: [entryFile],
      external: options.stubCloudflare === false ? [...WORKER_BUILD_OPTIONS.external] : [],
      plugins: options.stubCloudflare === false ? [importsUnresolved] : [cloudflareStub, importsUnresolved],
      minify: options.minify === true,
    })
    const text = result.outputFiles[0]!.text
    const path = join(TMP, `${name}.mjs`)
    writeFileSync(path, text)
    return { path, text, bytes: Buffer.byteLength(text) }
  } finally {
    rmSync(entryFile, { force: true })
  }
}
