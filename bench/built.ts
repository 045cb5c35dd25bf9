/**
 * What a deploy ships, built for the benchmarks: a config compiled and
 * serialized where it is written (as `edgevoy build` does), and the Worker
 * built around it (src/cli/worker-build.ts: data-plane entry + control-plane
 * chunks), into the bench's temp dir.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { buildWorker, type WorkerBuild } from '../src/cli/worker-build.js'
import { loadConfig } from '../src/config/load.js'
import type { BuiltBase } from '../src/state/base.js'
import { baseHashOf } from '../src/state/base-hash.js'
import { compileAndSerialize } from '../src/state/compile-snapshot.js'
import { needsXdsPoller } from '../src/state/xds-polled.js'
import { TMP } from './bundle.js'

/** Config text → the base a deployed Worker carries (version 0), or throw. */
export function buildBase(text: string, resolve?: Record<string, string[]>): BuiltBase {
  const loaded = loadConfig(text)
  if (!loaded.ok) throw new Error(`invalid config: ${loaded.errors[0]?.message}`)
  const source = loaded.config.json as { dynamic_resources?: unknown }
  const { text: snapshot } = compileAndSerialize(loaded.config, { version: '0', resolve })
  return { snapshot, sourceText: JSON.stringify(source), sourceHash: baseHashOf(source), xdsPolled: needsXdsPoller(source) }
}

export interface BuiltWorker extends WorkerBuild {
  /** Miniflare's modules: the entry first, then every chunk. */
  readonly mfModules: { type: 'ESModule'; path: string; contents: string }[]
  /** The entry and its static chunks: what every isolate loads. */
  readonly dataPlaneGzip: number
  /** Filters and the regex engine, each imported when a snapshot names it. */
  readonly lazyGzip: number
  readonly controlPlaneGzip: number
}

export async function builtWorker(name: string, base: BuiltBase, options: { minify?: boolean } = {}): Promise<BuiltWorker> {
  const w = await buildWorker(base, join(TMP, `built-${name}`), options)
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]))
  const files = walk(w.outdir).filter((f) => f.endsWith('.mjs'))
  files.sort((a, b) => Number(b === w.entry) - Number(a === w.entry))
  const gz = (which: (m: (typeof w.modules)[number]) => boolean) => w.modules.filter(which).reduce((n, m) => n + gzipSync(readFileSync(m.path)).length, 0)
  return {
    ...w,
    mfModules: files.map((f) => ({ type: 'ESModule' as const, path: f, contents: readFileSync(f, 'utf8') })),
    dataPlaneGzip: gz((m) => m.dataPlane),
    lazyGzip: gz((m) => m.lazy),
    controlPlaneGzip: gz((m) => !m.dataPlane && !m.lazy),
  }
}
