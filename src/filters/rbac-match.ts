/**
 * `config.rbac.v3` permissions and principals → predicates over a request.
 * Source addresses come from `CF-Connecting-IP` (the client as Cloudflare saw
 * it, so remote_ip, direct_remote_ip and source_ip are the same address);
 * `metadata` reads the dynamic metadata jwt_authn wrote (JWT claims).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto
 */
import type { MatchRequest, StringMatch } from '../compile/types.js'
import { compileHeaderMatcher, stripQuery } from '../compile/match.js'
import { compileStringMatcher } from '../compile/strings.js'
import type { PermissionConfig, PrincipalConfig, ValueMatcherConfig } from '../config/schema/filters/rbac.js'

export interface RbacRequest {
  readonly match: MatchRequest
  readonly clientIp: string | undefined
  readonly port: number
  readonly metadata: (filter: string) => Readonly<Record<string, unknown>> | undefined
}

export type RbacPredicate = (r: RbacRequest) => boolean

function parseIp(ip: string): { v6: boolean; bits: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    const parts = ip.split('.').map(Number)
    if (parts.some((p) => p > 255)) return undefined
    return { v6: false, bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) }
  }
  if (!ip.includes(':')) return undefined
  const [head, tail] = ip.split('::') as [string, string | undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  if (ip.split('::').length > 2) return undefined
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined
  return { v6: true, bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) }
}

function cidr(range: { address_prefix: string; prefix_len?: number | undefined }): (ip: string | undefined) => boolean {
  const base = parseIp(range.address_prefix)
  if (!base) return () => false
  const width = base.v6 ? 128 : 32
  const len = Math.min(range.prefix_len ?? width, width)
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(width - len)
  return (ip) => {
    const p = ip ? parseIp(ip) : undefined
    return !!p && p.v6 === base.v6 && (p.bits & mask) === (base.bits & mask)
  }
}

function valueMatcher(m: ValueMatcherConfig): (v: unknown) => boolean {
  if (m.string_match) {
    const s: StringMatch = compileStringMatcher(m.string_match)
    return (v) => typeof v === 'string' && s(v)
  }
  if (m.bool_match !== undefined) return (v) => v === m.bool_match
  if (m.double_match) {
    const d = m.double_match
    return (v) => typeof v === 'number' && (d.exact !== undefined ? v === d.exact : d.range ? v >= d.range.start && v < d.range.end : false)
  }
  if (m.present_match !== undefined) return (v) => (v !== undefined) === m.present_match
  if (m.null_match) return (v) => v === null
  if (m.list_match) {
    const one = valueMatcher(m.list_match.one_of)
    return (v) => Array.isArray(v) && v.some(one)
  }
  return () => false
}

function metadata(m: { filter: string; path: { key: string }[]; value: ValueMatcherConfig; invert?: boolean | undefined }): RbacPredicate {
  const test = valueMatcher(m.value)
  return (r) => {
    let v: unknown = r.metadata(m.filter)
    for (const { key } of m.path) v = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined
    return test(v) !== (m.invert === true)
  }
}

const urlPath = (p: { path: Parameters<typeof compileStringMatcher>[0] }): RbacPredicate => {
  const s = compileStringMatcher(p.path)
  return (r) => s(stripQuery(r.match.path))
}

export function compilePrincipal(p: PrincipalConfig): RbacPredicate {
  if (p.any) return () => true
  if (p.and_ids) { const ids = p.and_ids.ids.map(compilePrincipal); return (r) => ids.every((f) => f(r)) }
  if (p.or_ids) { const ids = p.or_ids.ids.map(compilePrincipal); return (r) => ids.some((f) => f(r)) }
  if (p.not_id) { const id = compilePrincipal(p.not_id); return (r) => !id(r) }
  const ip = p.remote_ip ?? p.direct_remote_ip ?? p.source_ip
  if (ip) { const inRange = cidr(ip); return (r) => inRange(r.clientIp) }
  if (p.header) { const h = compileHeaderMatcher(p.header); return (r) => h.test(r.match) }
  if (p.url_path) return urlPath(p.url_path)
  if (p.metadata) return metadata(p.metadata)
  return () => false
}

export function compilePermission(p: PermissionConfig): RbacPredicate {
  if (p.any) return () => true
  if (p.and_rules) { const rules = p.and_rules.rules.map(compilePermission); return (r) => rules.every((f) => f(r)) }
  if (p.or_rules) { const rules = p.or_rules.rules.map(compilePermission); return (r) => rules.some((f) => f(r)) }
  if (p.not_rule) { const rule = compilePermission(p.not_rule); return (r) => !rule(r) }
  if (p.header) { const h = compileHeaderMatcher(p.header); return (r) => h.test(r.match) }
  if (p.url_path) return urlPath(p.url_path)
  if (p.destination_port !== undefined) return (r) => r.port === p.destination_port
  if (p.metadata) return metadata(p.metadata)
  return () => false
}
