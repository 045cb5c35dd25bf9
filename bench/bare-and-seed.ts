/**
 * The bare pass-through Worker and the seed-config edgevoy (routes/front-envoy.yaml,
 * `service_a_envoy` resolved to the upstream) in one Miniflare, each on a direct
 * socket of its own: what the per-request diagnostics (profile-runtime.ts,
 * profile-gc.ts, tail-runtime.ts) drive with wrk. Miniflare starts workerd here:
 * read whatever must precede it (the workerd pids already running) before calling.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Log, LogLevel, Miniflare } from 'miniflare'
import { bundle, ROOT, TMP } from './bundle.js'
import { freePort } from './workerd-host.js'
import { buildBase, builtWorker } from './built.js'

export async function serveBareAndSeed(o: { name: string; upPort: number; minify?: boolean; inspector?: boolean }): Promise<{ mf: Miniflare; ports: { bare: number; seed: number; inspector: number } }> {
  const bare = await bundle(join(ROOT, 'bench/workers/bare.mjs'), 'bare')
  const seed = await builtWorker(o.name, buildBase(readFileSync(join(ROOT, 'routes/front-envoy.yaml'), 'utf8'), { service_a_envoy: [`127.0.0.1:${o.upPort}`] }), o.minify === undefined ? {} : { minify: o.minify })
  const ports = { bare: await freePort(), seed: await freePort(), inspector: o.inspector ? await freePort() : 0 }
  const mf = new Miniflare({
    log: new Log(LogLevel.WARN),
    cf: false,
    ...(o.inspector ? { inspectorPort: ports.inspector } : {}),
    workers: [
      { name: 'bare', modules: [{ type: 'ESModule', path: bare.path, contents: bare.text }], modulesRoot: TMP, compatibilityDate: '2026-04-01', bindings: { UPSTREAM: `http://127.0.0.1:${o.upPort}` }, unsafeDirectSockets: [{ host: '127.0.0.1', port: ports.bare }] },
      { name: 'seed', modules: seed.mfModules, modulesRoot: seed.outdir, compatibilityDate: '2026-04-01', unsafeDirectSockets: [{ host: '127.0.0.1', port: ports.seed }] },
    ],
  })
  return { mf, ports }
}
