/**
 * Polling a REST xDS control plane from a Durable Object alarm: one object
 * (`global`) holds the seed bootstrap (the one with `dynamic_resources`) and
 * each type's subscription state (version applied, last nonce, pending
 * NACK), and on every alarm runs one poll round and sets the next alarm
 * `refresh_delay` later. Alarms because a Worker has no timers between
 * requests, and Cron Triggers cannot go below a minute.
 * https://developers.cloudflare.com/durable-objects/api/alarms/
 *
 * What it accepts goes through the config authority's write path (the same
 * as `PUT /__admin/config`): validated, versioned, published whole.
 */
import { DurableObject } from 'cloudflare:workers'
import type { ConfigAuthority, WriteResult } from '../admin/authority.js'
import { initialState, pollOnce, type PollOutcome, type PublishResult, type XdsClientDeps, type XdsClientState } from '../xds/client.js'
import { xdsSources } from '../xds/source.js'
import type { StateEnv } from './env.js'
import { baseConfigJson } from './published.js'

/** The bindings the poller adds to StateEnv (wrangler.toml: XDS_POLLER → XdsPoller; secret XDS_TOKEN). */
export type XdsPollerEnv = StateEnv & {
  XDS_POLLER?: DurableObjectNamespace<XdsPoller>
  /** Sent as `Authorization: Bearer …` to the control plane (e.g. another edgevoy's admin xDS). */
  XDS_TOKEN?: string
}

type Json = Record<string, unknown>

/** Where a poller keeps what survives between alarms (DO storage, or a Map in tests). */
export interface PollerStore {
  get<T>(key: string): Promise<T | undefined>
  put(key: string, value: unknown): Promise<void>
}

export interface PollReport {
  readonly at: string
  readonly outcome: PollOutcome
  /** Versions applied per type after this round. */
  readonly versions: Readonly<Record<string, string>>
}

/**
 * One alarm's work: poll once, keep the new subscription state, and say when
 * to run again (the seed's refresh_delay). Undefined when there is no seed.
 */
export async function xdsTick(store: PollerStore, deps: XdsClientDeps, now: () => number = Date.now): Promise<{ nextInMs: number; report: PollReport } | undefined> {
  const seed = await store.get<Json>('seed')
  if (!seed) return undefined
  const sources = xdsSources(seed)
  const state = (await store.get<XdsClientState>('state')) ?? initialState()
  const { state: next, outcome } = await pollOnce(seed, state, deps)
  await store.put('state', next)
  const report: PollReport = {
    at: new Date(now()).toISOString(),
    outcome,
    versions: Object.fromEntries(Object.entries(next).map(([k, s]) => [k, s.version])),
  }
  await store.put('last', report)
  return { nextInMs: sources.ok ? sources.refreshDelayMs : 60_000, report }
}

/** Publish through the config authority: a replace, applied or refused whole. */
export function authorityPublisher(authority: DurableObjectStub<ConfigAuthority>): XdsClientDeps['publish'] {
  return async (json): Promise<PublishResult> => {
    const result = (await authority.write({ kind: 'replace', config: json }, '*', 'xDS update')) as WriteResult
    return result.ok ? { ok: true, version: result.published.version } : { ok: false, message: `${result.message}${result.details.length ? `: ${JSON.stringify(result.details)}` : ''}` }
  }
}

export class XdsPoller extends DurableObject<XdsPollerEnv> {
  #store: PollerStore = {
    get: (key) => this.ctx.storage.get(key),
    put: (key, value) => this.ctx.storage.put(key, value),
  }

  /** Start (or restart) polling for this seed bootstrap; the first round runs at once. */
  async start(seed: Json): Promise<void> {
    await this.ctx.storage.put('seed', seed)
    await this.ctx.storage.delete('state')
    await this.ctx.storage.setAlarm(Date.now())
  }

  /** Start polling unless already polling this very seed (idempotent: every isolate may call it). */
  async ensure(seed: Json): Promise<void> {
    const same = JSON.stringify(await this.ctx.storage.get('seed')) === JSON.stringify(seed)
    if (same && (await this.ctx.storage.getAlarm()) !== null) return
    if (same) await this.ctx.storage.setAlarm(Date.now())
    else await this.start(seed)
  }

  async stop(): Promise<void> {
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
  }

  async status(): Promise<PollReport | undefined> {
    return this.ctx.storage.get<PollReport>('last')
  }

  override async alarm(): Promise<void> {
    const ns = this.env.CONFIG_AUTHORITY
    if (!ns) return
    const token = this.env.XDS_TOKEN
    const deps: XdsClientDeps = {
      fetch: (input, init) => fetch(input, token ? { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } } : init),
      publish: authorityPublisher(ns.get(ns.idFromName('global'))),
    }
    const ran = await xdsTick(this.#store, deps)
    if (ran) await this.ctx.storage.setAlarm(Date.now() + ran.nextInMs)
  }
}

const ensured = new WeakSet<object>()

/**
 * Called by the Worker entry once per isolate: when the base config (bundled
 * or EDGEVOY_CONFIG) has dynamic_resources — or static listeners using rds, or
 * static EDS clusters with an eds_config — make sure the poller runs with it
 * as the seed. The seed is always the base config, never a published one (a
 * published config already holds the fetched resources).
 */
export function ensureXdsPoller(env: XdsPollerEnv, ctx: ExecutionContext): void {
  const ns = env.XDS_POLLER
  if (!ns || ensured.has(env)) return
  ensured.add(env)
  let seed: Json
  try {
    seed = baseConfigJson(env) as Json
  } catch {
    return // an invalid base config is reported by serving.ts; nothing to poll with
  }
  if (!seed.dynamic_resources && !xdsSources(seed).ok) return
  ctx.waitUntil(ns.get(ns.idFromName('global')).ensure(seed).catch((e: unknown) => console.error('edgevoy: starting the xDS poller failed', e)))
}
