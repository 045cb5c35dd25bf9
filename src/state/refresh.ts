/**
 * Looking for a newer published config without making requests wait: at most
 * once every CONFIG_REFRESH_SECONDS per isolate, the look runs in the
 * background (`ctx.waitUntil`) and the request is served by what is already
 * loaded. Where it looks is injected (`ConfigSource`): on Cloudflare the
 * location's cached copy (state/config-source.ts), so about one isolate per
 * location reads KV; bench/sim runs this same code with a simulated clock. With 0 seconds (local dev) the check runs on every request and is
 * awaited — a local KV read is cheap, and a change then applies to the very
 * next request.
 * https://developers.cloudflare.com/kv/concepts/how-kv-works/ (eventual consistency)
 */
import { NOT_NEWER } from '../upstream/location-cache.js'
import { refreshSeconds, type StateEnv } from './env.js'
import { isPublishedConfig, PUBLISHED_KEY, type PublishedConfig } from './published.js'
import type { Isolate, IsolateState, Serving } from './serving.js'

/** What the refresh uses of the isolate (serving.ts's Isolate; bench/sim's stand-in). */
export type RefreshingIsolate = Pick<Isolate, 'ready' | 'prepare' | 'state'> & { install(env: StateEnv, published: PublishedConfig): unknown }

/**
 * Where the published config is read from: KV itself, or the location's copy
 * (state/config-source.ts). `have` is the version this isolate serves; a
 * source that cheaply knows nothing newer exists answers NOT_NEWER.
 */
export interface ConfigSource {
  read(kv: KVNamespace, have: number, env?: StateEnv): Promise<unknown>
}

export interface RefreshDeps {
  readonly now: () => number
  readonly source: ConfigSource
}

/** Every check reads KV (each read billed). */
export const kvSource: ConfigSource = { read: (kv) => kv.get(PUBLISHED_KEY, 'json') }

const DIRECT: RefreshDeps = { now: () => Date.now(), source: kvSource }

/**
 * The Serving for this request: the one already loaded, without a promise
 * to wait for (the per-request path) unless the isolate is not prepared yet
 * or, locally (0 s), a check is in flight.
 */
export function servingForRequest(isolate: RefreshingIsolate, env: StateEnv, ctx: ExecutionContext, deps: RefreshDeps = DIRECT): Serving | Promise<Serving> {
  const s = isolate.ready(env)
  if (!s) return isolate.prepare(env).then(() => servingForRequest(isolate, env, ctx, deps))
  const everyMs = refreshSeconds(env) * 1000
  const kv = env.CONFIG
  // Locally (0 s) every request reads KV itself: a change applies to the very next request.
  const source = everyMs === 0 ? kvSource : deps.source
  if (kv && !s.inflight && deps.now() - s.lastCheck >= everyMs) {
    s.lastCheck = deps.now()
    s.inflight = checkPublished(isolate, env, kv, source).finally(() => (s.inflight = undefined))
    if (everyMs > 0) ctx.waitUntil(s.inflight)
  }
  if (everyMs === 0 && s.inflight) return s.inflight.then(() => s.stored ?? s.base)
  return s.stored ?? s.base
}

/** Read the published version and install it if newer; never throws (it runs detached). */
export async function checkPublished(isolate: RefreshingIsolate, env: StateEnv, kv: KVNamespace, source: ConfigSource = kvSource): Promise<void> {
  const s = isolate.state(env)
  try {
    const value: unknown = await source.read(kv, s.stored?.version ?? 0, env)
    if (value === NOT_NEWER && s.problem?.version === -1) s.problem = undefined
    if (value === null || value === NOT_NEWER) return
    if (!isPublishedConfig(value)) {
      s.problem = { version: -1, errors: [`KV key ${PUBLISHED_KEY} does not hold a published config`], at: new Date().toISOString() }
      return
    }
    if (s.problem?.version === -1) s.problem = undefined
    // Awaited: a version whose filters are still being imported is not yet served, and the check is not done.
    await isolate.install(env, (await adoptDeployedBase(env, s, value)) ?? value)
  } catch (e) {
    // A KV hiccup or unparsable JSON: keep serving, report it, try again next interval.
    s.problem = { version: -1, errors: [`reading ${PUBLISHED_KEY}: ${e instanceof Error ? e.message : String(e)}`], at: new Date().toISOString() }
  }
}

/**
 * A published version accepted against another base config than the one
 * this Worker was deployed with: a new deploy happened since. Rather than let
 * the older pushed version silently shadow the new base, ask the config
 * authority to adopt the deployed base as the newest version (it does when
 * its own base differs from the latest version's) and install what it
 * answers. Asked once per base per isolate.
 */
async function adoptDeployedBase(env: StateEnv, s: IsolateState, published: PublishedConfig): Promise<PublishedConfig | undefined> {
  const ns = env.CONFIG_AUTHORITY
  if (!ns || published.baseHash === undefined || published.baseHash === s.baseHash || published.version <= (s.stored?.version ?? 0)) return undefined
  if (s.adoptAsked === s.baseHash) return undefined
  s.adoptAsked = s.baseHash
  return ((await ns.get(ns.idFromName('global')).adoptBase()) as PublishedConfig | undefined) ?? undefined
}
