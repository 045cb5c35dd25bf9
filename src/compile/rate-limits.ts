/**
 * A route's or virtual host's `rate_limits` → RateLimitIR: the descriptor
 * actions the local_ratelimit filter matches, decided here instead of
 * walking the JSON per request. An action edgevoy cannot produce makes the
 * descriptor never generated, as an Envoy action that finds no value does.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-ratelimit
 */
import type { HeaderMatcherConfig } from '../config/schema/matchers.js'
import type { RateLimitActionIR, RateLimitIR } from './ir.js'
import { lowerHeaderMatcher } from './match.js'

type Json = Record<string, unknown>
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined)
const text = (v: unknown, fallback: string) => (typeof v === 'string' && v ? v : fallback)

function lowerAction(action: Json): RateLimitActionIR {
  const g = obj(action.generic_key)
  if (g) return { kind: 'generic_key', key: text(g.descriptor_key, 'generic_key'), value: String(g.descriptor_value ?? '') }
  const h = obj(action.request_headers)
  if (h) return { kind: 'request_headers', header: String(h.header_name ?? '').toLowerCase(), key: String(h.descriptor_key ?? ''), ...(h.skip_if_absent === true ? { skipIfAbsent: true as const } : {}) }
  if (obj(action.remote_address)) return { kind: 'remote_address' }
  if (obj(action.destination_cluster)) return { kind: 'destination_cluster' }
  const m = obj(action.header_value_match)
  if (m)
    return {
      kind: 'header_value_match',
      key: text(m.descriptor_key, 'header_match'),
      value: String(m.descriptor_value ?? ''),
      expectMatch: m.expect_match !== false,
      headers: ((m.headers as HeaderMatcherConfig[] | undefined) ?? []).map(lowerHeaderMatcher),
    }
  return { kind: 'unsupported' }
}

/** The entries as data, or undefined when there are none. */
export function lowerRateLimits(list: readonly unknown[] | undefined): RateLimitIR[] | undefined {
  const out: RateLimitIR[] = []
  for (const raw of list ?? []) {
    const rl = obj(raw)
    if (!rl || !Array.isArray(rl.actions)) continue
    out.push({ stage: Number(rl.stage ?? 0), actions: (rl.actions as unknown[]).map((a) => lowerAction(obj(a) ?? {})) })
  }
  return out.length ? out : undefined
}
