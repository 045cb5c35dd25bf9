/**
 * Bundles for the benchmarks, built the way src/cli/bundle.ts builds the
 * Worker (same esbuild options), into a temp dir so a running `edgevoy dev`
 * is never disturbed.
 */
import { build, type Metafile, type Plugin } from 'esbuild'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const TMP = mkdtempSync(join(tmpdir(), 'edgevoy-bench-'))

/** `cloudflare:workers` as plain classes, so Node can evaluate the bundle to time it. */
const cloudflareStub: Plugin = {
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
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    loader: { '.yaml': 'text', '.yml': 'text' },
    target: 'es2022',
    external: options.stubCloudflare ? [] : ['cloudflare:*'],
    plugins: options.stubCloudflare ? [cloudflareStub] : [],
    write: false,
    metafile: true,
    minify: options.minify === true,
    logLevel: 'silent',
    legalComments: 'none',
  })
  const text = result.outputFiles[0]!.text
  const path = join(TMP, `${name}.mjs`)
  writeFileSync(path, text)
  return { path, text, metafile: result.metafile }
}
