/**
 * The rate limit descriptors a request produces from its route's (and virtual
 * host's) `rate_limits` actions, as the local_ratelimit filter matches them.
 * An action that cannot produce its entry drops the whole descriptor, as in Envoy.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-ratelimit
 */
import type { HeaderPredicate, Route, VirtualHost } from '../compile/types.js'
import { compileHeaderMatcher } from '../compile/match.js'
import type { HeaderMatcherConfig } from '../config/schema/matchers.js'
import type { RouteDecision } from '../router/decide.js'
import { clientAddress } from './client-address.js'

export type DescriptorEntry = { readonly key: string; readonly value: string }
type Json = Record<string, unknown>

const headerPredicates = new WeakMap<object, HeaderPredicate[]>()

function entryOf(action: Json, decision: RouteDecision, request: Request, cluster: string | undefined): DescriptorEntry | undefined | null {
  const a = (k: string) => (typeof action[k] === 'object' && action[k] !== null ? (action[k] as Json) : undefined)
  if (a('generic_key')) {
    const g = a('generic_key')!
    return { key: typeof g.descriptor_key === 'string' && g.descriptor_key ? g.descriptor_key : 'generic_key', value: String(g.descriptor_value ?? '') }
  }
  if (a('request_headers')) {
    const h = a('request_headers')!
    const value = request.headers.get(String(h.header_name ?? ''))
    if (value === null) return h.skip_if_absent === true ? null : undefined
    return { key: String(h.descriptor_key ?? ''), value }
  }
  if (a('remote_address')) {
    const ip = clientAddress(request)
    return ip ? { key: 'remote_address', value: ip } : undefined
  }
  if (a('destination_cluster')) return cluster ? { key: 'destination_cluster', value: cluster } : undefined
  if (a('header_value_match')) {
    const h = a('header_value_match')!
    let preds = headerPredicates.get(h)
    if (!preds) headerPredicates.set(h, (preds = ((h.headers as HeaderMatcherConfig[] | undefined) ?? []).map(compileHeaderMatcher)))
    const matched = preds.every((p) => p.test(decision.match))
    if (matched !== (h.expect_match !== false)) return undefined
    return { key: typeof h.descriptor_key === 'string' && h.descriptor_key ? h.descriptor_key : 'header_match', value: String(h.descriptor_value ?? '') }
  }
  return undefined
}

/** Descriptors for `stage`, route's rate_limits first, then the virtual host's. */
export function requestDescriptors(decision: RouteDecision, request: Request, stage: number): DescriptorEntry[][] {
  const lists: unknown[] = []
  const route: Route | undefined = decision.route
  const vh: VirtualHost | undefined = decision.virtualHost
  if (route?.action.type === 'route' && Array.isArray(route.action.extensions.rate_limits)) lists.push(...route.action.extensions.rate_limits)
  if (Array.isArray(vh?.extensions.rate_limits)) lists.push(...(vh!.extensions.rate_limits as unknown[]))
  const cluster = route?.action.type === 'route' && route.action.target.kind === 'cluster' ? route.action.target.name : undefined
  const out: DescriptorEntry[][] = []
  for (const rl of lists as Json[]) {
    if (Number(rl.stage ?? 0) !== stage || !Array.isArray(rl.actions)) continue
    const entries: DescriptorEntry[] = []
    let ok = true
    for (const action of rl.actions as Json[]) {
      const e = entryOf(action, decision, request, cluster)
      if (e === null) continue
      if (e === undefined) { ok = false; break }
      entries.push(e)
    }
    if (ok && entries.length) out.push(entries)
  }
  return out
}
