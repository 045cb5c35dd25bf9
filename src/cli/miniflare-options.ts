/**
 * Miniflare options for edgevoy's local listeners — the one place that says
 * what a listener Worker gets, so `dev` and the mesh (`start`) run the same
 * Worker the same way. Its bindings, Durable Objects, compatibility date and
 * flags are wrangler.toml's (src/cli/wrangler-bindings.ts); this file only adds
 * what is local: the config text, the listener, storage names and sockets.
 *
 * One Miniflare, one workerd process, any number of Workers: each listener is
 * a Worker with its own socket (`unsafeDirectSockets`), which goes straight to
 * that Worker — six listeners start in ~0.5 s in ~75 MB, where six Miniflares
 * would be six workerd processes.
 */
import { Log, LogLevel, type MiniflareOptions, type WorkerOptions } from 'miniflare'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import type { Bundle } from './bundle.js'
import { LOCAL_HOST } from './ports.js'
import { serviceBindingsFor, type WranglerWorker } from './wrangler-bindings.js'
import { tidyRuntimeLine } from './runtime-lines.js'

export { LOCAL_HOST }

/** One Envoy listener served by one Worker. */
export interface ListenerWorker {
  /** Unique Worker name within the Miniflare instance. */
  readonly name: string
  /** The Envoy config text (EDGEVOY_CONFIG). */
  readonly configText: string
  /** Which of the config's listeners this Worker serves (EDGEVOY_LISTENER). */
  readonly listener: string
  readonly port: number
  /** Hostname → addresses, the local stand-in for DNS (EDGEVOY_RESOLVE). */
  readonly resolve?: Readonly<Record<string, readonly string[]>>
  readonly adminToken?: string
  /** Per-Envoy storage: listeners of one Envoy config share it, different Envoys do not. */
  readonly storageId?: string
  /** Tag put before this Worker's console lines, to tell listeners apart in one workerd's output. */
  readonly logTag?: string
  /** Worker whose config authority (Durable Object) this one uses: listeners of one Envoy share one. Default: its own. */
  readonly authorityWorker?: string
  /** Bearer token for the xDS control plane (XDS_TOKEN), when the config has dynamic_resources. */
  readonly xdsToken?: string
  /** `--service NAME=http://host:port`: where each service binding goes locally. */
  readonly services?: Readonly<Record<string, string>>
}

/** Marks the start of a tagged console line: `\x1f<tag>\x1f<message>`. */
const TAG = '\x1f'

/**
 * The Worker's modules. With a log tag, a small entry module wraps the bundle
 * and prefixes its console output: all Workers share one workerd stdout, and
 * the Worker's own `[<listener>]` prefix is ambiguous across configs (A's
 * sidecar and B's both have a "service-b-svc-http-listener").
 */
function modules(bundle: Bundle, logTag: string | undefined): WorkerOptions['modules'] {
  const worker = { type: 'ESModule' as const, path: bundle.path, contents: bundle.contents }
  if (logTag === undefined) return [worker]
  const entry = [
    `import worker from './worker.mjs'`,
    `export * from './worker.mjs'`,
    `for (const level of ['log', 'info', 'warn', 'error', 'debug']) {`,
    `  const original = console[level].bind(console)`,
    `  console[level] = (...args) => original(${JSON.stringify(TAG + logTag + TAG)} + (args.length ? String(args.shift()) : ''), ...args)`,
    `}`,
    `export default worker`,
  ].join('\n')
  return [{ type: 'ESModule', path: join(bundle.path, '..', `entry-${logTag.replace(/\W+/g, '_')}.mjs`), contents: entry }, worker]
}

/**
 * wrangler.toml's Worker (`base`) with this listener's local settings on top.
 * Storage is per Envoy (`storageId`); Durable Objects of a multi-listener
 * Envoy live in one Worker (`authorityWorker`), so its listeners share one
 * config authority, one xDS poller and one health authority per cluster.
 */
export function listenerWorker(bundle: Bundle, base: WranglerWorker, w: ListenerWorker): WorkerOptions {
  const bindings: Record<string, unknown> = {
    ...base.bindings,
    EDGEVOY_CONFIG: w.configText,
    EDGEVOY_LISTENER: w.listener,
    EDGEVOY_LOG_REQUESTS: '1',
    // Locally every request checks KV for a newer config, so an admin change applies to the very next request.
    CONFIG_REFRESH_SECONDS: '0',
  }
  if (w.resolve && Object.keys(w.resolve).length) bindings.EDGEVOY_RESOLVE = JSON.stringify(w.resolve)
  if (w.adminToken) bindings.ADMIN_TOKEN = w.adminToken
  if (w.xdsToken) bindings.XDS_TOKEN = w.xdsToken
  const shared = w.authorityWorker && w.authorityWorker !== w.name ? { scriptName: w.authorityWorker } : {}
  const durableObjects = Object.fromEntries(
    Object.entries(base.durableObjects ?? {}).map(([name, raw]) => {
      const d = (typeof raw === 'string' ? { className: raw } : raw) as { className: string; scriptName?: string }
      // A class this Worker defines (no scriptName of its own): shared through the Envoy's first listener.
      return [name, d.scriptName ? d : { ...d, ...shared }]
    }),
  )
  // One KV namespace per binding per Envoy; `edgevoy-config-<envoy>` keeps its name for `--persist`ed state.
  const storage = w.storageId ?? w.name
  const kvNamespaces = Object.fromEntries(Object.keys(base.kvNamespaces ?? {}).map((name) => [name, `edgevoy-${name.toLowerCase()}-${storage}`]))
  // Likewise one D1 database per binding per Envoy: each Envoy's health hub writes its own row (EDGEVOY_DB, upstream/health/hub-row.ts).
  const d1Databases = Object.fromEntries(Object.keys(base.d1Databases ?? {}).map((name) => [name, `edgevoy-${name.toLowerCase()}-${storage}`]))
  const services = serviceBindingsFor(base, w.services ?? {})
  return {
    ...base,
    name: w.name,
    modules: modules(bundle, w.logTag),
    modulesRoot: dirname(bundle.path),
    bindings: bindings as WorkerOptions['bindings'],
    kvNamespaces,
    d1Databases,
    durableObjects,
    serviceBindings: { ...services.bindings },
    unsafeDirectSockets: [{ host: LOCAL_HOST, port: w.port }],
  } as WorkerOptions
}

/**
 * Envoy's admin listens on its own port (9901 in the article). Locally a tiny
 * Worker on that port forwards to the proxy Worker's `/__admin` prefix through
 * a service binding, so `curl 127.0.0.1:9901/clusters` works as with Envoy.
 */
const ADMIN_PORT_COMPATIBILITY_DATE = '2026-04-01'

export function adminPortWorker(name: string, target: string, port: number): WorkerOptions {
  return {
    name,
    modules: true,
    script: `export default {
  fetch(request, env) {
    const url = new URL(request.url)
    url.pathname = '/__admin' + (url.pathname === '/' ? '' : url.pathname)
    return env.PROXY.fetch(new Request(url, request))
  },
}`,
    compatibilityDate: ADMIN_PORT_COMPATIBILITY_DATE,
    serviceBindings: { PROXY: target },
    unsafeDirectSockets: [{ host: LOCAL_HOST, port }],
  }
}

export interface RuntimeOptions {
  readonly workers: WorkerOptions[]
  /** Each line the Worker(s) print, with the tag of the Worker that printed it (if tagged). */
  readonly onLine: (line: string, tag: string | undefined, stream: 'stdout' | 'stderr') => void
  /** Keep KV/DO/D1 state across runs in this directory (`--persist`); in memory otherwise. */
  readonly persistDir?: string
}

export function miniflareOptions(o: RuntimeOptions): MiniflareOptions {
  const persist = o.persistDir
    ? { kvPersist: join(o.persistDir, 'kv'), durableObjectsPersist: join(o.persistDir, 'do'), cachePersist: join(o.persistDir, 'cache'), d1Persist: join(o.persistDir, 'd1') }
    : {}
  return {
    // Miniflare's own entry socket: only for Miniflare's use; listeners have their direct sockets.
    host: LOCAL_HOST,
    port: 0,
    log: new Log(LogLevel.WARN),
    // The placeholder `request.cf`: fetching the real one would reach workers.cloudflare.com.
    cf: false,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      forwardLines(stdout, 'stdout', o.onLine)
      forwardLines(stderr, 'stderr', o.onLine)
    },
    ...persist,
    workers: o.workers,
  }
}

function forwardLines(stream: Readable, name: 'stdout' | 'stderr', onLine: RuntimeOptions['onLine']) {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (raw) => {
    const line = name === 'stderr' ? tidyRuntimeLine(raw) : raw
    if (line === undefined) return
    if (line.startsWith(TAG)) {
      const end = line.indexOf(TAG, 1)
      if (end > 0) return onLine(line.slice(end + 1), line.slice(1, end), name)
    }
    onLine(line, undefined, name)
  })
}
