/**
 * Bundle the Worker (src/index.ts, TypeScript importing npm packages and
 * `.yaml` configs as text) into one ES module Miniflare can run — what
 * wrangler's bundler does for `wrangler deploy`, with the same Text rule.
 */
import { build, stop, type BuildOptions } from 'esbuild'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: src/cli/ is two levels down. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export interface Bundle {
  /** Path of the written module (`.edgevoy/worker.mjs`). */
  readonly path: string
  readonly contents: string
}

/** esbuild options that make a Worker bundle as wrangler would (workerd conditions, `.yaml` as text). */
export const WORKER_BUILD_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  conditions: ['workerd', 'worker', 'browser'],
  loader: { '.yaml': 'text', '.yml': 'text' },
  target: 'es2022',
  external: ['cloudflare:*'],
  write: false,
  logLevel: 'silent',
  legalComments: 'none',
} as const satisfies BuildOptions

export async function bundleWorker(entry = join(ROOT, 'src/index.ts')): Promise<Bundle> {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [entry] })
  // esbuild keeps a service process for later builds; we build once, so end it now rather
  // than leave a child that outlives a stopped `dev` by however long it takes to notice.
  await stop()
  const contents = result.outputFiles[0]!.text
  const path = join(ROOT, '.edgevoy/worker.mjs')
  mkdirSync(dirname(path), { recursive: true })
  // Write-then-rename: two commands bundling at once never read half a file.
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, contents)
  renameSync(tmp, path)
  return { path, contents }
}
