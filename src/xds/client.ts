/**
 * REST-JSON xDS v3, client side: one poll round asks the control plane for
 * clusters, their endpoints, listeners and their route configs, assembles the
 * answers with the seed bootstrap into one static config, validates and
 * compiles it, and publishes it whole — or rejects it whole.
 *
 * As in Envoy's HTTP subscription, the ACK or NACK rides on the *next*
 * request of each type: `version_info` is the last version applied,
 * `response_nonce` the last response seen, and after a rejection
 * `error_detail` ({ code: 3 INVALID_ARGUMENT, message }) says why. A 304
 * means "unchanged" (Envoy's RestApiFetcher treats it so).
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#ack-nack-and-resource-type-instance-version
 */
import { compileConfig } from '../compile/index.js'
import { formatIssue, formatPath, type ConfigIssue } from '../config/issues.js'
import { validateConfig } from '../config/load.js'
import { edsNames, rdsNames, resourcesToBootstrap, TYPE_URLS, unpackAny, XDS_KINDS, type XdsKind } from './resources.js'
import type { DiscoveryRequest, DiscoveryResponse } from './server.js'
import { xdsSources, type XdsSource } from './source.js'

type Json = Record<string, unknown>

/** One type's subscription: what was applied, and what the next request must say. */
export interface Subscription {
  /** version_info of the last applied response ('' before the first). */
  readonly version: string
  readonly resources: readonly Json[]
  /** The nonce of the last response received (applied or not). */
  readonly nonce: string
  /** Set while the last response was rejected: sent as error_detail until one is applied. */
  readonly errorDetail?: { readonly code: number; readonly message: string }
}

export type XdsClientState = Readonly<Record<XdsKind, Subscription>>

export const initialState = (): XdsClientState =>
  Object.fromEntries(XDS_KINDS.map((k) => [k, { version: '', resources: [], nonce: '' }])) as unknown as XdsClientState

export type PublishResult = { readonly ok: true; readonly version?: number | string } | { readonly ok: false; readonly message: string }

export interface XdsClientDeps {
  readonly fetch: (input: string, init: RequestInit) => Promise<Response>
  /** The config authority's write path: the whole assembled bootstrap, applied or refused whole. */
  readonly publish: (json: unknown) => Promise<PublishResult>
}

export type PollOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'applied'; readonly versions: Partial<Record<XdsKind, string>> }
  | { readonly kind: 'rejected'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string }

/** A fresh response of one type, not yet applied. */
interface Fresh { readonly version: string; readonly nonce: string; readonly resources: Json[]; readonly problem?: string }

/**
 * One poll round. Returns the next state (carrying ACK/NACK for the next
 * round) and what happened. Never throws: a control plane that cannot be
 * reached leaves everything as it was (Envoy keeps its config too).
 */
export async function pollOnce(seed: Json, state: XdsClientState, deps: XdsClientDeps): Promise<{ state: XdsClientState; outcome: PollOutcome }> {
  const sources = xdsSources(seed)
  if (!sources.ok) return { state, outcome: { kind: 'unreachable', message: sources.message } }
  const fresh: Partial<Record<XdsKind, Fresh>> = {}
  const current = (k: XdsKind) => fresh[k]?.resources ?? state[k].resources
  try {
    // Order matters as in Envoy: CDS before EDS (it names the assignments), LDS before RDS.
    // EDS and RDS serve the dynamic resources' names and the static ones' (static EDS clusters, static listeners using rds).
    const sr = (typeof seed.static_resources === 'object' && seed.static_resources !== null ? seed.static_resources : {}) as Json
    const staticOf = (k: string): Json[] => (Array.isArray(sr[k]) ? (sr[k] as Json[]) : [])
    const plan: [XdsKind, XdsSource | undefined, () => string[]][] = [
      ['clusters', sources.cds, () => []],
      ['endpoints', sources.eds ?? sources.cds, () => edsNames([...staticOf('clusters'), ...current('clusters')])],
      ['listeners', sources.lds, () => []],
      ['routes', sources.rds ?? sources.lds, () => rdsNames([...staticOf('listeners'), ...current('listeners')])],
    ]
    for (const [kind, source, names] of plan) {
      if (!source) continue
      const resourceNames = names()
      if ((kind === 'endpoints' || kind === 'routes') && resourceNames.length === 0) continue
      const got = await request(kind, source, seed, state[kind], resourceNames, deps)
      if (got) fresh[kind] = got
    }
  } catch (e) {
    return { state, outcome: { kind: 'unreachable', message: e instanceof Error ? e.message : String(e) } }
  }
  const changed = XDS_KINDS.filter((k) => fresh[k] !== undefined)
  if (changed.length === 0) return { state, outcome: { kind: 'unchanged' } }

  const problems = changed.flatMap((k) => (fresh[k]!.problem ? [fresh[k]!.problem!] : []))
  const verdict = problems.length > 0 ? { ok: false as const, message: problems.join('; ') } : await apply(seed, { listeners: current('listeners'), routes: current('routes'), clusters: current('clusters'), endpoints: current('endpoints') }, deps)
  const next = { ...state } as Record<XdsKind, Subscription>
  for (const k of changed) {
    const f = fresh[k]!
    next[k] = verdict.ok
      ? { version: f.version, resources: f.resources, nonce: f.nonce }
      : { ...state[k], nonce: f.nonce, errorDetail: { code: 3, message: verdict.message } }
  }
  const outcome: PollOutcome = verdict.ok
    ? { kind: 'applied', versions: Object.fromEntries(changed.map((k) => [k, fresh[k]!.version])) }
    : { kind: 'rejected', message: verdict.message }
  return { state: next, outcome }
}

/** POST one DiscoveryRequest; undefined on 304. */
async function request(kind: XdsKind, source: XdsSource, seed: Json, sub: Subscription, resourceNames: string[], deps: XdsClientDeps): Promise<Fresh | undefined> {
  const node = typeof seed.node === 'object' && seed.node !== null ? (seed.node as DiscoveryRequest['node']) : undefined
  const body: DiscoveryRequest = {
    version_info: sub.version,
    ...(node ? { node } : {}),
    resource_names: resourceNames,
    type_url: TYPE_URLS[kind],
    response_nonce: sub.nonce,
    ...(sub.errorDetail ? { error_detail: sub.errorDetail } : {}),
  }
  const res = await deps.fetch(`${source.baseUrl}/v3/discovery:${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(source.requestTimeoutMs),
  })
  if (res.status === 304) {
    await res.body?.cancel()
    return undefined
  }
  if (res.status !== 200) throw new Error(`${kind}: the control plane answered ${res.status} ${(await res.text()).slice(0, 200)}`)
  const answer = (await res.json()) as Partial<DiscoveryResponse>
  if (typeof answer.version_info !== 'string') throw new Error(`${kind}: the DiscoveryResponse has no version_info`)
  if (answer.type_url !== undefined && answer.type_url !== TYPE_URLS[kind]) throw new Error(`${kind}: the DiscoveryResponse has type_url ${answer.type_url}`)
  // A resource of the wrong @type is the control plane's bug: reject the update (NACK), not the poll.
  const resources: Json[] = []
  const badType: string[] = []
  for (const any of answer.resources ?? []) {
    try {
      resources.push(unpackAny(kind, any))
    } catch (e) {
      badType.push(e instanceof Error ? e.message : String(e))
    }
  }
  return { version: answer.version_info, nonce: answer.nonce ?? '', resources, ...(badType.length > 0 ? { problem: badType.join('; ') } : {}) }
}

/** Assemble, validate, compile, publish; the message names every problem. */
async function apply(seed: Json, fetched: Record<XdsKind, readonly Json[]>, deps: XdsClientDeps): Promise<{ ok: true } | { ok: false; message: string }> {
  let json: Json
  try {
    json = resourcesToBootstrap(seed, fetched)
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) }
  }
  const loaded = validateConfig(json)
  if (!loaded.ok) return { ok: false, message: loaded.errors.map((e) => describeIssue(e, seed, json)).join('\n') }
  try {
    compileConfig(loaded.config)
  } catch (e) {
    return { ok: false, message: `the config does not compile: ${e instanceof Error ? e.message : String(e)}` }
  }
  const published = await deps.publish(loaded.config.json)
  return published.ok ? { ok: true } : { ok: false, message: published.message }
}

/**
 * An issue in the assembled config, named by the xDS resource it came from
 * (`Cluster "service": lb_policy: …`) rather than its place in a document
 * the control plane never saw.
 */
function describeIssue(issue: ConfigIssue, seed: Json, assembled: Json): string {
  const [top, kind, index, ...rest] = issue.path
  const staticCount = (k: string) => {
    const sr = seed.static_resources as Record<string, unknown> | undefined
    return Array.isArray(sr?.[k]) ? (sr[k] as unknown[]).length : 0
  }
  if (top !== 'static_resources' || (kind !== 'clusters' && kind !== 'listeners') || typeof index !== 'number' || index < staticCount(kind)) return formatIssue(issue)
  const resource = ((assembled.static_resources as Record<string, Json[]>)[kind] ?? [])[index]
  const noun = kind === 'clusters' ? 'Cluster' : 'Listener'
  return `${noun} "${String(resource?.name)}": ${rest.length > 0 ? `${formatPath(rest)}: ` : ''}${issue.message}`
}
