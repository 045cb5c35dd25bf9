/**
 * What this isolate serves: one compiled snapshot and the Hono app built from
 * it, replaced together. The config is, in order of preference:
 *   1. the latest version the config authority published to KV (`CONFIG`),
 *   2. else `EDGEVOY_CONFIG` (the CLI's dev server) or the bundled routes/ config.
 * A newer published version is looked for at most every CONFIG_REFRESH_SECONDS
 * (refresh.ts); a version that fails to compile is never served.
 */
import { compileConfig } from '../compile/index.js'
import type { Cluster, Listener, Snapshot } from '../compile/types.js'
import { formatIssue } from '../config/issues.js'
import { loadConfig, validateConfig } from '../config/load.js'
import { buildListenerApp, type RouterDeps } from '../router/app.js'
import { ClusterManager } from '../upstream/cluster-manager.js'
import type { ClusterStatus } from '../upstream/cluster-status.js'
import type { StateEnv } from './env.js'
import { baseConfigText, type PublishedConfig } from './published.js'

export interface Serving {
  readonly snapshot: Snapshot
  readonly listener: Listener
  /** The v3 JSON the snapshot was compiled from (config_dump, explain). */
  readonly config: unknown
  /** 0 for the base config, else the authority's version. */
  readonly version: number
  /** When this version was accepted (ISO), or when the isolate compiled the base config. */
  readonly updatedAt: string
  readonly fetch: (request: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>
}

/** A published version this isolate refused to serve, for /ready and /server_info. */
export interface ConfigProblem {
  readonly version: number
  readonly errors: readonly string[]
  readonly at: string
}

export interface IsolateState {
  /** The base config text and the vars it was compiled with: a different one means a new base. */
  readonly text: string
  readonly key: string
  readonly base: Serving
  stored: Serving | undefined
  problem: ConfigProblem | undefined
  lastCheck: number
  inflight: Promise<void> | undefined
}

/** Per-isolate upstream state outlives snapshots (see ClusterManager). */
const clusters = new ClusterManager({ random: Math.random, now: Date.now })
/** This isolate's upstream state for a cluster (health flags, ejections, counters), for the admin `/clusters`. */
export function upstreamStatus(cluster: Cluster): ClusterStatus {
  return clusters.status(cluster)
}

/** When this isolate started serving, for /server_info's uptime. */
export const ISOLATE_STARTED = Date.now()
let state: IsolateState | undefined
/** The env object `state` was last checked against: workerd hands the same one to every request. */
let stateEnv: object | undefined

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

/**
 * A config with no listeners yet (a bootstrap that gets them from a control
 * plane through dynamic_resources) serves 503 until the first version arrives.
 */
const NO_LISTENER: Listener = Object.freeze({
  name: '(none yet)',
  address: '',
  port: 0,
  statPrefix: '',
  routeTable: Object.freeze({ name: '', virtualHosts: [], findVirtualHost: () => undefined, requestHeaders: { add: [], remove: [] }, responseHeaders: { add: [], remove: [] }, internalOnlyHeaders: [] }),
  httpFilters: [],
  downstream: Object.freeze({ normalizePath: false, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED', internalAddresses: [], useRemoteAddress: false, xffNumTrustedHops: 0, skipXffAppend: false, generateRequestId: true, preserveExternalRequestId: false }),
  streamIdleTimeoutMs: 0,
  requestTimeoutMs: 0,
  maxStreamDurationMs: 0,
  connectionManager: {},
})

export function serve(snapshot: Snapshot, listenerName: string | undefined, deps: Omit<RouterDeps, 'clusters'>): Pick<Serving, 'snapshot' | 'listener' | 'fetch'> {
  // Also when EDGEVOY_LISTENER names one: it arrives with the first version (the local mesh's xDS sidecars).
  if (snapshot.listeners.length === 0) {
    const body = 'no listener yet: waiting for the first config from the control plane (dynamic_resources)'
    return { snapshot, listener: NO_LISTENER, fetch: () => new Response(body, { status: 503, headers: { 'content-type': 'text/plain', 'x-edgevoy-config-version': snapshot.version } }) }
  }
  const listener = pickListener(snapshot, listenerName)
  const app = buildListenerApp(snapshot, listener, { ...deps, clusters })
  return { snapshot, listener, fetch: app.fetch }
}

const resolveOf = (env: EdgevoyEnv) => (env.EDGEVOY_RESOLVE ? (JSON.parse(env.EDGEVOY_RESOLVE) as Record<string, string[]>) : undefined)

function routerDeps(env: EdgevoyEnv): Omit<RouterDeps, 'clusters'> {
  const bindings = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof (v as Fetcher | undefined)?.fetch === 'function')) as Record<string, Fetcher>
  return {
    fetch: (input, init) => fetch(input, init),
    bindings,
    random: Math.random,
    now: Date.now,
    log: env.EDGEVOY_LOG_REQUESTS === '1' ? (line) => console.log(line) : undefined,
  }
}

/**
 * Compile a published version for this env's listener, or throw with every
 * problem (validation errors, compile failure, missing listener).
 */
export function compilePublished(env: EdgevoyEnv, published: PublishedConfig): Serving {
  const loaded = validateConfig(published.config)
  if (!loaded.ok) throw new ConfigRejected(loaded.errors.map((e) => formatIssue(e)))
  const resolve = resolveOf(env)
  const snapshot = compileConfig(loaded.config, { version: String(published.version), ...(resolve ? { resolve } : {}) })
  const served = serve(snapshot, env.EDGEVOY_LISTENER || undefined, routerDeps(env))
  return { ...served, config: loaded.config.json, version: published.version, updatedAt: published.createdAt }
}

export class ConfigRejected extends Error {
  constructor(readonly errors: readonly string[]) {
    super(errors.join('\n'))
  }
}

/** This isolate's state for this env, creating it (and compiling the base config) on first use. */
export function isolateState(env: StateEnv): IsolateState {
  // The per-request fast path: the same env object as last time means the same base config,
  // so nothing as large as the config text is compared on every request.
  if (state && env === stateEnv) return state
  const text = baseConfigText(env)
  const key = `${env.EDGEVOY_LISTENER ?? ''}:${env.EDGEVOY_RESOLVE ?? ''}`
  stateEnv = env
  if (state && state.key === key && state.text === text) return state
  const loaded = loadConfig(text)
  if (!loaded.ok) throw new Error(`invalid Envoy config:\n${loaded.errors.map((e) => formatIssue(e)).join('\n')}`)
  const resolve = resolveOf(env)
  // Version 0 is the base config (bundled, or EDGEVOY_CONFIG): the same number the admin API's ETag and history use.
  const snapshot = compileConfig(loaded.config, { version: '0', ...(resolve ? { resolve } : {}) })
  const base: Serving = {
    ...serve(snapshot, env.EDGEVOY_LISTENER || undefined, routerDeps(env)),
    config: loaded.config.json,
    version: 0,
    updatedAt: new Date().toISOString(),
  }
  state = { text, key, base, stored: undefined, problem: undefined, lastCheck: Number.NEGATIVE_INFINITY, inflight: undefined }
  return state
}

/** What serves right now, without looking for a newer version. */
export function currentServing(env: StateEnv): Serving {
  const s = isolateState(env)
  return s.stored ?? s.base
}

/**
 * Serve a published version in this isolate, unless it is not newer than
 * what already serves. A version that fails to compile is recorded as the
 * problem and the last good snapshot keeps serving.
 */
export function install(env: StateEnv, published: PublishedConfig): { installed: boolean; problem?: ConfigProblem } {
  const s = isolateState(env)
  const have = s.stored?.version ?? 0
  if (published.version <= have) return { installed: false }
  if (s.problem?.version === published.version) return { installed: false, problem: s.problem }
  try {
    s.stored = compilePublished(env, published)
    s.problem = undefined
    return { installed: true }
  } catch (e) {
    const errors = e instanceof ConfigRejected ? e.errors : [e instanceof Error ? e.message : String(e)]
    s.problem = { version: published.version, errors, at: new Date().toISOString() }
    console.error(`edgevoy: config version ${published.version} rejected, still serving ${have}:\n${errors.join('\n')}`)
    return { installed: false, problem: s.problem }
  }
}
