/**
 * The rate limit descriptors a request produces from its route's (and virtual
 * host's) compiled `rate_limits` actions, as the local_ratelimit filter
 * matches them. An action that cannot produce its entry drops the whole
 * descriptor, as in Envoy.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-ratelimit
 */
import type { RateLimit, RateLimitAction } from '../compile/types.js'
import type { RouteDecision } from '../context.js'
import { clientAddress } from './client-address.js'

export type DescriptorEntry = { readonly key: string; readonly value: string }

/** The entry, null to skip the action (skip_if_absent), undefined to drop the descriptor. */
function entryOf(action: RateLimitAction, decision: RouteDecision, request: Request, cluster: string | undefined): DescriptorEntry | undefined | null {
  switch (action.kind) {
    case 'generic_key':
      return { key: action.key, value: action.value }
    case 'request_headers': {
      const value = request.headers.get(action.header)
      if (value === null) return action.skipIfAbsent ? null : undefined
      return { key: action.key, value }
    }
    case 'remote_address': {
      const ip = clientAddress(request)
      return ip ? { key: 'remote_address', value: ip } : undefined
    }
    case 'destination_cluster':
      return cluster ? { key: 'destination_cluster', value: cluster } : undefined
    case 'header_value_match': {
      let matched = true
      for (const p of action.headers) if (!p.test(decision.match)) matched = false
      return matched === action.expectMatch ? { key: action.key, value: action.value } : undefined
    }
    case 'unsupported':
      return undefined
  }
}

function collect(out: DescriptorEntry[][], list: readonly RateLimit[], stage: number, decision: RouteDecision, request: Request, cluster: string | undefined): void {
  for (const rl of list) {
    if (rl.stage !== stage) continue
    const entries: DescriptorEntry[] = []
    let ok = true
    for (const action of rl.actions) {
      const e = entryOf(action, decision, request, cluster)
      if (e === null) continue
      if (e === undefined) {
        ok = false
        break
      }
      entries.push(e)
    }
    if (ok && entries.length) out.push(entries)
  }
}

/** Descriptors for `stage`, route's rate_limits first, then the virtual host's. */
export function requestDescriptors(decision: RouteDecision, request: Request, stage: number): DescriptorEntry[][] {
  const out: DescriptorEntry[][] = []
  const action = decision.route?.action
  const cluster = action?.type === 'route' && action.target.kind === 'cluster' ? action.target.name : undefined
  if (action?.type === 'route') collect(out, action.rateLimits, stage, decision, request, cluster)
  if (decision.virtualHost) collect(out, decision.virtualHost.rateLimits, stage, decision, request, cluster)
  return out
}
