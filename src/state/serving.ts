/**
 * What this isolate serves: one compiled snapshot and the Hono app built from
 * it, replaced together. The snapshot comes from the bundled routes/ config,
 * or from `EDGEVOY_CONFIG` when set (the CLI's dev server).
 */
import bundledConfig from '../../routes/front-envoy.yaml'
import { compileConfig } from '../compile/index.js'
import type { Listener, Snapshot } from '../compile/types.js'
import { formatIssue } from '../config/issues.js'
import { loadConfig } from '../config/load.js'
import { buildListenerApp, type RouterDeps } from '../router/app.js'
import { ClusterManager } from '../upstream/cluster-manager.js'

export interface Serving {
  readonly snapshot: Snapshot
  readonly listener: Listener
  readonly fetch: (request: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>
}

/** Per-isolate upstream state outlives snapshots (see ClusterManager). */
const clusters = new ClusterManager({ random: Math.random, now: Date.now })
let current: { text: string; key: string; serving: Serving } | undefined

/** Load and compile config text, or throw with every error. */
export function compileText(text: string, options: { version?: string; resolve?: Record<string, string[]> } = {}): Snapshot {
  const loaded = loadConfig(text)
  if (!loaded.ok) throw new Error(`invalid Envoy config:\n${loaded.errors.map((e) => formatIssue(e)).join('\n')}`)
  return compileConfig(loaded.config, options)
}

export function pickListener(snapshot: Snapshot, name: string | undefined): Listener {
  const listener = name ? snapshot.listeners.find((l) => l.name === name) : snapshot.listeners[0]
  if (!listener) throw new Error(name ? `no listener named "${name}" (have: ${snapshot.listeners.map((l) => l.name).join(', ')})` : 'the config has no listeners')
  return listener
}

export function serve(snapshot: Snapshot, listenerName: string | undefined, deps: Omit<RouterDeps, 'clusters'>): Serving {
  const listener = pickListener(snapshot, listenerName)
  const app = buildListenerApp(snapshot, listener, { ...deps, clusters })
  return { snapshot, listener, fetch: app.fetch }
}

/** The serving app for this env, compiled on first use and kept for the isolate's life. */
export function servingFor(env: EdgevoyEnv): Serving {
  const text = env.EDGEVOY_CONFIG || bundledConfig
  const key = `${env.EDGEVOY_LISTENER ?? ''}:${env.EDGEVOY_RESOLVE ?? ''}`
  if (current?.text === text && current.key === key) return current.serving
  const resolve = env.EDGEVOY_RESOLVE ? (JSON.parse(env.EDGEVOY_RESOLVE) as Record<string, string[]>) : undefined
  const snapshot = compileText(text, resolve ? { resolve } : {})
  const bindings = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof (v as Fetcher | undefined)?.fetch === 'function')) as Record<string, Fetcher>
  const serving = serve(snapshot, env.EDGEVOY_LISTENER || undefined, {
    fetch: (input, init) => fetch(input, init),
    bindings,
    random: Math.random,
    now: Date.now,
    log: env.EDGEVOY_LOG_REQUESTS === '1' ? (line) => console.log(line) : undefined,
  })
  current = { text, key, serving }
  return serving
}
