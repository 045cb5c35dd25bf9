/**
 * A listener Worker for observability tests in Node: src/ bundled with a
 * small entry that serves one config (bootstrap `tracing` included) and
 * mounts the stats routes under /__admin, run by Miniflare on 127.0.0.1 so a
 * browser or a Zipkin collector can reach it over real HTTP. The entry stands
 * in for the admin API (another module) with Envoy's /clusters JSON.
 */
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { dirname, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { WORKER_BUILD_OPTIONS } from '../../src/cli/bundle'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

const ENTRY = `
import { Hono } from 'hono'
import { loadConfig } from './src/config/load'
import { compileConfig } from './src/compile/index'
import { buildListenerApp } from './src/router/app'
import { ClusterManager } from './src/upstream/cluster-manager'
import { statsRoutes } from './src/observability/admin-routes'
import { preloadObservers } from './src/observability/observe'
import { preloadUpstream } from './src/upstream/on-demand'
import { loadRouteIndex } from './src/router/route-index'

let current
function serving(env) {
  if (current) return current
  const loaded = loadConfig(env.EDGEVOY_CONFIG)
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors))
  // The bootstrap fields the observability stage reads from the snapshot (see src/observability/observe.ts).
  const snapshot = { ...compileConfig(loaded.config), bootstrapTracing: loaded.config.bootstrap.tracing, serviceCluster: loaded.config.bootstrap.node?.cluster }
  const deps = { fetch: (i, init) => fetch(i, init), bindings: {}, clusters: new ClusterManager({ random: Math.random, now: Date.now }), random: Math.random, now: Date.now,
    // Callers marked x-test-internal: 1 are internal (Envoy's internal_address_config); everyone else is external.
    trustEnvoyHeaders: (r) => r.headers.get('x-test-internal') === '1' }
  const admin = new Hono()
  admin.get('/clusters', (c) => c.json({
    cluster_statuses: [...snapshot.clusters.values()].map((cl) => ({
      name: cl.name,
      host_statuses: cl.hosts.map((h) => ({ address: { socket_address: { address: h.hostname, port_value: h.port } }, health_status: { eds_health_status: 'HEALTHY' } })),
    })),
  }))
  admin.route('/', statsRoutes())
  // strict: false, so /__admin/ (Envoy's admin root, with its slash) reaches the dashboard's '/' route.
  const app = new Hono({ strict: false })
  app.route('/__admin', admin)
  const proxy = buildListenerApp(snapshot, snapshot.listeners[0], deps)
  app.all('*', (c) => proxy.fetch(c.req.raw, c.env, c.executionCtx))
  return (current = app)
}
// The access-log and tracing module (and the on-demand upstream code) is imported before an app is built (as state/serving.ts does).
export default { fetch: async (request, env, ctx) => { await Promise.all([preloadObservers(), preloadUpstream(), loadRouteIndex()]); return serving(env).fetch(request, env, ctx) } }
`

export interface ObservabilityWorker {
  /** Base URL, ending in '/'. */
  readonly url: string
  /** Lines the Worker printed to stdout (console.log). */
  readonly stdout: string[]
  dispose(): Promise<void>
}

export async function startObservabilityWorker(configText: string): Promise<ObservabilityWorker> {
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'observability-entry.ts' },
  })
  const stdout: string[] = []
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: resolve(ROOT, 'observability-worker.mjs'), contents: result.outputFiles[0]!.text }],
    compatibilityDate: '2026-04-01',
    bindings: { EDGEVOY_CONFIG: configText },
    host: '127.0.0.1',
    port: 0,
    cf: false,
    handleRuntimeStdio(out: Readable, err: Readable) {
      let buffered = ''
      out.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8')
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        stdout.push(...lines)
      })
      // workerd's errors (e.g. a Worker that fails to start) belong in the test output.
      err.on('data', (chunk: Buffer) => process.stderr.write(chunk))
    },
  })
  const url = (await mf.ready).toString()
  return { url: url.endsWith('/') ? url : `${url}/`, stdout, dispose: () => mf.dispose() }
}
