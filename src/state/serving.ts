/**
 * What this isolate serves: one snapshot and the Hono app built from it,
 * replaced together. The config is, in order of preference:
 *   1. the latest version the config authority published to KV (`CONFIG`),
 *   2. else the base: the snapshot `edgevoy build` put in the deployed Worker
 *      (state/base.ts), or — in tests and `edgevoy dev` — EDGEVOY_CONFIG or the
 *      bundled routes/ config, compiled through the lazily imported control plane.
 * Data plane only: a published or built snapshot is *loaded*
 * (src/snapshot/load.ts), never validated or compiled here. A newer published
 * version is looked for at most every CONFIG_REFRESH_SECONDS (refresh.ts);
 * one that cannot be loaded is never served. The HTTP filters a snapshot
 * names are imported (filters/registry.ts) before its app is built and
 * before it replaces what serves: a version whose filters cannot be imported
 * is refused like one that cannot be loaded.
 */
import type { Cluster, Listener, Snapshot } from '../compile/types.js'
import type { StatsStore } from '../observability/stats.js'
import { loadListenerFilters } from '../filters/registry.js'
import { loadObservers } from '../observability/observe.js'
import { buildListenerApp, type RouterDeps } from '../router/app.js'
import { loadRouteIndex, needsRouteIndex } from '../router/route-index.js'
import { readySnapshot } from '../snapshot/load.js'
import { loadUpstreamFor } from '../upstream/on-demand.js'
import { ClusterManager } from '../upstream/cluster-manager.js'
import { builtBase } from './base.js'
import type { StateEnv } from './env.js'
import type { PublishedConfig } from './published.js'

export interface Serving {
  readonly snapshot: Snapshot
  readonly listener: Listener
  /** The v3 JSON the snapshot was compiled from (config_dump, explain). */
  readonly config: unknown
  /** 0 for the base config, else the authority's version. */
  readonly version: number
  /** When this version was accepted (ISO), or when the isolate loaded the base config. */
  readonly updatedAt: string
  readonly fetch: (request: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>
}

/** What `Isolate.install` did with a published version. */
export interface InstallResult {
  readonly installed: boolean
  readonly problem?: ConfigProblem
}

/** A published version this isolate refused to serve, for /ready and /server_info. */
export interface ConfigProblem {
  readonly version: number
  readonly errors: readonly string[]
  readonly at: string
}

export interface IsolateState {
  /** The base's identity and the vars it was loaded with: a different one means a new base. */
  readonly key: string
  readonly base: Serving
  /** baseHashOf the base's source. */
  readonly baseHash: string
  /** The base is (partly) fed by an xDS control plane: the poller should run. */
  readonly xdsPolled: boolean
  stored: Serving | undefined
  problem: ConfigProblem | undefined
  lastCheck: number
  inflight: Promise<void> | undefined
  /** The base hash this isolate last asked the authority to adopt (once per base). */
  adoptAsked?: string
}

/** What the composition root (src/index.ts) creates once per isolate and passes down. */
export interface IsolateDeps {
  readonly clusters: ClusterManager
  readonly stats: StatsStore
  readonly random: () => number
  readonly now: () => number
}

/** A base not built into the Worker, compiled by the control plane (state/control-plane.ts). */
export interface CompiledBase {
  readonly snapshot: string
  readonly source: unknown
  readonly sourceHash: string
  readonly xdsPolled: boolean
}

/**
 * One isolate's serving state: the per-isolate upstream state (ClusterManager)
 * and stats outlive snapshots; the snapshot and app are swapped whole.
 */
export class Isolate {
  /** When this isolate started serving, for /server_info's uptime. */
  readonly started = Date.now()
  /**
   * State per base (config, listener, resolve). A deployed Worker has one;
   * tests and the local mesh hand one isolate several envs, and a request for
   * one must not pull the state from under another's background refresh.
   */
  readonly #states = new Map<string, IsolateState>()
  /** The env last seen and its state: workerd hands the same env object to every request. */
  #lastEnv: object | undefined
  #lastState: IsolateState | undefined
  readonly #loading = new Map<string, Promise<IsolateState>>()

  constructor(readonly deps: IsolateDeps) {}

  /** The state for this env if it is ready (the per-request fast path), else undefined. */
  ready(env: StateEnv): IsolateState | undefined {
    if (env === this.#lastEnv && this.#lastState) return this.#lastState
    const state = this.#states.get(baseKey(env))
    if (state) {
      this.#lastEnv = env
      this.#lastState = state
    }
    return state
  }

  /** The state for this env, loading (or compiling, without a built base) the base on first use. */
  async prepare(env: StateEnv): Promise<IsolateState> {
    const ready = this.ready(env)
    if (ready) return ready
    const key = baseKey(env)
    let loading = this.#loading.get(key)
    if (!loading) {
      loading = this.#loadBase(env, key).finally(() => this.#loading.delete(key))
      this.#loading.set(key, loading)
    }
    await loading
    return this.ready(env) ?? this.prepare(env)
  }

  /** The prepared state (throws before `prepare`). */
  state(env: StateEnv): IsolateState {
    const s = this.ready(env)
    if (!s) throw new Error('edgevoy: the isolate state is used before prepare()')
    return s
  }

  /** What serves right now, without looking for a newer version. */
  current(env: StateEnv): Serving {
    const s = this.state(env)
    return s.stored ?? s.base
  }

  async #loadBase(env: StateEnv, key: string): Promise<IsolateState> {
    const built = env.EDGEVOY_CONFIG ? undefined : builtBase()
    // Only without a built base: tests and `edgevoy dev` hand the isolate config text.
    const base: CompiledBase = built ? { snapshot: built.snapshot, source: undefined, sourceHash: built.sourceHash, xdsPolled: built.xdsPolled } : (await import('./control-plane.js')).compileBase(env)
    const snapshot = await readySnapshot(base.snapshot)
    const served = await this.serve(snapshot, env.EDGEVOY_LISTENER || built?.listener || undefined, env)
    // Version 0 is the base config: the same number the admin API's ETag and history use.
    const updatedAt = new Date().toISOString()
    let source = base.source
    const serving: Serving = built
      ? // The source is parsed only if the admin API asks for it.
        { ...served, version: 0, updatedAt, get config() { return (source ??= JSON.parse(built.sourceText)) } }
      : { ...served, config: source, version: 0, updatedAt }
    const xdsPolled = base.xdsPolled
    const state: IsolateState = { key, base: serving, baseHash: base.sourceHash, xdsPolled, stored: undefined, problem: undefined, lastCheck: Number.NEGATIVE_INFINITY, inflight: undefined }
    // Bounded: only tests and the local mesh see more than one base per isolate.
    if (this.#states.size >= MAX_BASES) this.#states.delete(this.#states.keys().next().value!)
    this.#states.set(key, state)
    return state
  }

  /**
   * The app for a snapshot, once what it runs and the entry does not carry is
   * imported (here, never per request): the filters its listener names, its access-log
   * and tracing code if it has either, the
   * load balancers, outlier detection, hash policy and mirroring its clusters
   * and routes use (upstream/on-demand.ts), the route index if a virtual host
   * has more than a few routes (router/route-index.ts). The regex engine, which
   * linking a regex needs, `readySnapshot` (snapshot/load.ts) imported before.
   */
  async serve(snapshot: Snapshot, listenerName: string | undefined, env: EdgevoyEnv): Promise<Pick<Serving, 'snapshot' | 'listener' | 'fetch'>> {
    const imports: Promise<void>[] = []
    if (snapshot.listeners.length > 0) {
      const listener = pickListener(snapshot, listenerName)
      imports.push(loadListenerFilters(listener), loadObservers(listener))
      if (needsRouteIndex(listener)) imports.push(loadRouteIndex())
    }
    imports.push(loadUpstreamFor(snapshot))
    await Promise.all(imports)
    return serve(snapshot, listenerName, { ...routerDeps(env, this.deps), clusters: this.deps.clusters })
  }

  /**
   * Serve a published version in this isolate, unless it is not newer than
   * what already serves. One that cannot be loaded (no snapshot, another
   * compiler's, a filter whose module cannot be imported) is recorded as the
   * problem, counted (`edgevoy.config.update_rejected`, after Envoy's xDS
   * `update_rejected`) and the last good one keeps
   * serving. The swap happens only once the new app is built: requests meanwhile
   * are served by the old one.
   */
  async install(env: StateEnv, published: PublishedConfig): Promise<InstallResult> {
    const s = this.state(env)
    const have = s.stored?.version ?? 0
    if (published.version <= have) return { installed: false }
    if (s.problem?.version === published.version) return { installed: false, problem: s.problem }
    try {
      if (typeof published.snapshot !== 'string') throw new Error(`version ${published.version} carries no compiled snapshot (published by an older edgevoy); the next accepted write republishes it`)
      const served = await this.serve(await readySnapshot(published.snapshot), env.EDGEVOY_LISTENER || builtBase()?.listener || undefined, env)
      // Another install finished first while the filters were imported: keep the newer one.
      if (published.version <= (s.stored?.version ?? 0)) return { installed: false }
      s.stored = { ...served, config: published.config, version: published.version, updatedAt: published.createdAt }
      s.problem = undefined
      return { installed: true }
    } catch (e) {
      // The loader's code (`snapshot_incompatible`: written by another compiler version) leads the message.
      const code = (e as { code?: unknown } | null)?.code
      const errors = [`${typeof code === 'string' ? `${code}: ` : ''}${e instanceof Error ? e.message : String(e)}`]
      s.problem = { version: published.version, errors, at: new Date().toISOString() }
      this.deps.stats.counter('edgevoy.config.update_rejected')
      console.error(`edgevoy: config version ${published.version} refused, still serving ${have}:\n${errors.join('\n')}`)
      return { installed: false, problem: s.problem }
    }
  }
}

const MAX_BASES = 16

const baseKey = (env: StateEnv) => `${env.EDGEVOY_LISTENER ?? ''}:${env.EDGEVOY_RESOLVE ?? ''}:${env.EDGEVOY_CONFIG ?? ''}`

export function pickListener(snapshot: Snapshot, name: string | undefined): Listener {
  const listener = name ? snapshot.listeners.find((l) => l.name === name) : snapshot.listeners[0]
  if (!listener) throw new Error(name ? `no listener named "${name}" (have: ${snapshot.listeners.map((l) => l.name).join(', ')})` : 'the config has no listeners')
  return listener
}

/**
 * A config with no listeners yet (a bootstrap that gets them from a control
 * plane through dynamic_resources) serves 503 until the first version arrives.
 */
const NO_LISTENER = Object.freeze({
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
}) as unknown as Listener

type ServeDeps = Omit<RouterDeps, 'clusters'> & { readonly clusters?: ClusterManager; readonly stats?: StatsStore }

/** The listener's app for a snapshot (a new ClusterManager unless one is passed: tests). */
export function serve(snapshot: Snapshot, listenerName: string | undefined, deps: ServeDeps): Pick<Serving, 'snapshot' | 'listener' | 'fetch'> {
  // Also when EDGEVOY_LISTENER names one: it arrives with the first version (the local mesh's xDS sidecars).
  if (snapshot.listeners.length === 0) {
    const body = 'no listener yet: waiting for the first config from the control plane (dynamic_resources)'
    return { snapshot, listener: NO_LISTENER, fetch: () => new Response(body, { status: 503, headers: { 'content-type': 'text/plain', 'x-edgevoy-config-version': snapshot.version } }) }
  }
  const listener = pickListener(snapshot, listenerName)
  const app = buildListenerApp(snapshot, listener, { ...deps, clusters: deps.clusters ?? new ClusterManager({ random: deps.random, now: deps.now }) })
  return { snapshot, listener, fetch: app.fetch }
}

function routerDeps(env: EdgevoyEnv, deps: IsolateDeps): ServeDeps {
  const bindings = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof (v as Fetcher | undefined)?.fetch === 'function')) as Record<string, Fetcher>
  return {
    fetch: (input, init) => fetch(input, init),
    bindings,
    random: deps.random,
    now: deps.now,
    // The isolate's one stats store (the observability stage records into it; /__admin/stats reads it).
    stats: deps.stats,
    log: env.EDGEVOY_LOG_REQUESTS === '1' ? (line) => console.log(line) : undefined,
  }
}
