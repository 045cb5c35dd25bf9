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
import type { ConfigAuthority, WriteResult } from '../admin/authority.js'
import { initialState, pollOnce, type PollOutcome, type PublishResult, type XdsClientDeps, type XdsClientState } from '../xds/client.js'
import { xdsSources } from '../xds/source.js'
import type { XdsPollerEnv } from './xds-ensure.js'

export type { XdsPollerEnv }

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

/** The Durable Object class (state/durable-objects.ts) forwards every method to this core, imported lazily. */
export class XdsPollerCore {
  constructor(
    readonly ctx: DurableObjectState,
    readonly env: XdsPollerEnv,
  ) {}

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

  async alarm(): Promise<void> {
    const ns = this.env.CONFIG_AUTHORITY
    if (!ns) return
    const token = this.env.XDS_TOKEN
    const deps: XdsClientDeps = {
      fetch: (input, init) => fetch(input, token ? { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } } : init),
      publish: authorityPublisher(ns.get(ns.idFromName('global'))),
    }
    const before = await this.ctx.storage.get<PollReport>('last')
    const ran = await xdsTick(this.#store, deps)
    if (!ran) return
    const line = outcomeLine(ran.report.outcome, before?.outcome)
    if (line) (ran.report.outcome.kind === 'applied' ? console.log : console.error)(line)
    await this.ctx.storage.setAlarm(Date.now() + ran.nextInMs)
  }
}

/**
 * One console line per change of outcome (`edgevoy dev` shows it; on
 * Cloudflare it is in the Worker's logs): every applied update, and a
 * rejection or an unreachable control plane once until it changes — not
 * once per poll.
 */
export function outcomeLine(outcome: PollOutcome, previous: PollOutcome | undefined): string | undefined {
  const same = previous?.kind === outcome.kind && ('message' in outcome ? 'message' in previous && previous.message === outcome.message : true)
  switch (outcome.kind) {
    case 'applied':
      return `edgevoy: xDS update applied (${Object.entries(outcome.versions).map(([k, v]) => `${k} ${v}`).join(', ')})`
    case 'rejected':
      return same ? undefined : `edgevoy: xDS update rejected (NACK sent, still serving the last good config): ${outcome.message}`
    case 'unreachable':
      return same ? undefined : `edgevoy: xDS control plane unreachable, still serving the last good config: ${outcome.message}`
    case 'unchanged':
      return undefined
  }
}
