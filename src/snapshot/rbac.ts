/**
 * `config.rbac.v3` permissions and principals (as data) → predicates over a
 * request. Source addresses come from `CF-Connecting-IP` (the client as
 * Cloudflare saw it, so remote_ip, direct_remote_ip and source_ip are the
 * same address); `metadata` reads the dynamic metadata jwt_authn wrote (JWT claims).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto
 */
import type { CidrIR, MetadataMatcherIR, RbacIR, RbacMatcherIR, RbacRulesIR, ValueMatcherIR } from '../compile/ir.js'
import type { RbacConfig, RbacEngine, RbacPredicate, RbacRequest } from '../compile/types.js'
import { linkHeaderMatcher, linkStringMatcher, stripQuery } from './matchers.js'

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

function cidr(range: CidrIR): (ip: string | undefined) => boolean {
  const base = parseIp(range.addressPrefix)
  if (!base) return () => false
  const width = base.v6 ? 128 : 32
  const len = Math.min(range.prefixLen ?? width, width)
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(width - len)
  return (ip) => {
    const p = ip ? parseIp(ip) : undefined
    return !!p && p.v6 === base.v6 && (p.bits & mask) === (base.bits & mask)
  }
}

function valueMatcher(m: ValueMatcherIR): (v: unknown) => boolean {
  switch (m.kind) {
    case 'string': {
      const s = linkStringMatcher(m.match)
      return (v) => typeof v === 'string' && s(v)
    }
    case 'bool':
      return (v) => v === m.value
    case 'double_exact':
      return (v) => typeof v === 'number' && v === m.value
    case 'double_range':
      return (v) => typeof v === 'number' && v >= m.start && v < m.end
    case 'present':
      return (v) => (v !== undefined) === m.present
    case 'null':
      return (v) => v === null
    case 'list_one_of': {
      const one = valueMatcher(m.item)
      return (v) => Array.isArray(v) && v.some(one)
    }
    case 'never':
      return () => false
  }
}

function metadata(m: MetadataMatcherIR): RbacPredicate {
  const test = valueMatcher(m.value)
  const invert = m.invert === true
  return (r) => {
    let v: unknown = r.metadata(m.filter)
    for (const key of m.path) v = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined
    return test(v) !== invert
  }
}

export function linkRbacMatcher(p: RbacMatcherIR): RbacPredicate {
  switch (p.kind) {
    case 'any':
      return () => true
    case 'and': {
      const items = p.items.map(linkRbacMatcher)
      return (r) => items.every((f) => f(r))
    }
    case 'or': {
      const items = p.items.map(linkRbacMatcher)
      return (r) => items.some((f) => f(r))
    }
    case 'not': {
      const item = linkRbacMatcher(p.item)
      return (r) => !item(r)
    }
    case 'remote_ip': {
      const inRange = cidr(p.cidr)
      return (r) => inRange(r.clientIp)
    }
    case 'header': {
      const h = linkHeaderMatcher(p.header)
      return (r) => h.test(r.match)
    }
    case 'url_path': {
      const s = linkStringMatcher(p.path)
      return (r) => s(stripQuery(r.match.path))
    }
    case 'destination_port':
      return (r) => r.port === p.port
    case 'metadata':
      return metadata(p.metadata)
    case 'never':
      return () => false
  }
}

function linkRules(rules: RbacRulesIR): RbacEngine {
  return {
    action: rules.action,
    policies: rules.policies.map((p) => {
      const perms = p.permissions.map(linkRbacMatcher)
      const princs = p.principals.map(linkRbacMatcher)
      return { name: p.name, permission: (r: RbacRequest) => perms.some((f) => f(r)), principal: (r: RbacRequest) => princs.some((f) => f(r)) }
    }),
  }
}

export function linkRbac(c: RbacIR): RbacConfig {
  return {
    rules: c.rules ? linkRules(c.rules) : undefined,
    shadowRules: c.shadowRules ? linkRules(c.shadowRules) : undefined,
    rulesStatPrefix: c.rulesStatPrefix,
    shadowRulesStatPrefix: c.shadowRulesStatPrefix,
  }
}
