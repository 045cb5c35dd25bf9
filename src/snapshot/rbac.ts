/**
 * `config.rbac.v3` permissions and principals (as data) → predicates over a
 * request. Source addresses come from `CF-Connecting-IP` (the client as
 * Cloudflare saw it, so remote_ip, direct_remote_ip and source_ip are the
 * same address); `metadata` reads the dynamic metadata jwt_authn wrote (JWT claims).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto
 */
import type { CidrIR, MatchInputIR, MatchPredicateIR, MetadataMatcherIR, OnMatchIR, RbacIR, RbacMatcherIR, RbacRulesIR, UnifiedMatcherIR, ValueMatcherIR } from '../compile/ir.js'
import type { RbacConfig, RbacEngine, RbacMatcherEngine, RbacPredicate, RbacRequest } from '../compile/types.js'
import { headerValue, linkHeaderMatcher, linkStringMatcher } from './match-linkers.js'
import { stripQuery } from './matchers.js'

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

// --- the unified matcher API (xds.type.matcher.v3.Matcher) --------------------

type Input = (r: RbacRequest) => string | null

/** What an input reads; null: no value (a string matcher on it fails). */
function linkInput(i: MatchInputIR): Input {
  switch (i.kind) {
    case 'request_header':
      // HttpRequestHeaderMatchInput: values joined with ","; `:path` keeps its query, as Envoy's header map has it.
      return (r) => headerValue(r.match, i.name)
    case 'source_ip':
      return (r) => r.clientIp ?? null
    case 'destination_port':
      return (r) => String(r.port)
  }
}

function linkPredicate(p: MatchPredicateIR): RbacPredicate {
  switch (p.kind) {
    case 'single': {
      const input = linkInput(p.input)
      if (p.matcher.kind === 'ip') {
        const ranges = p.matcher.ranges.map(cidr)
        return (r) => {
          const v = input(r)
          return v !== null && ranges.some((inRange) => inRange(v))
        }
      }
      const match = linkStringMatcher(p.matcher.match)
      return (r) => {
        const v = input(r)
        return v !== null && match(v)
      }
    }
    case 'and': {
      const items = p.predicates.map(linkPredicate)
      return (r) => items.every((f) => f(r))
    }
    case 'or': {
      const items = p.predicates.map(linkPredicate)
      return (r) => items.some((f) => f(r))
    }
    case 'not': {
      const item = linkPredicate(p.predicate)
      return (r) => !item(r)
    }
  }
}

type Resolved = ReturnType<RbacMatcherEngine>

function linkOnMatch(o: OnMatchIR): RbacMatcherEngine {
  if (o.kind === 'matcher') return linkUnifiedMatcher(o.matcher)
  const result = Object.freeze({ name: o.name, action: o.action })
  return () => result
}

/**
 * Envoy's Matcher::evaluateMatch: a list's first matching predicate, or a
 * tree's map entry (exact, or the longest prefix), gives the OnMatch; a
 * nested matcher that does not match makes the whole match fail ("considered
 * not to have matched", matcher.proto) — the outer on_no_match is not used
 * then; no entry at all → on_no_match, else no match.
 */
export function linkUnifiedMatcher(m: UnifiedMatcherIR): RbacMatcherEngine {
  const onNoMatch = m.onNoMatch ? linkOnMatch(m.onNoMatch) : (): Resolved => undefined
  if (m.kind === 'list') {
    const entries = m.matchers.map((f) => ({ predicate: linkPredicate(f.predicate), onMatch: linkOnMatch(f.onMatch) }))
    return (r) => {
      for (const e of entries) if (e.predicate(r)) return e.onMatch(r)
      return onNoMatch(r)
    }
  }
  const input = linkInput(m.input)
  const map = new Map(Object.entries(m.map).map(([k, v]) => [k, linkOnMatch(v)]))
  if (m.kind === 'exact_map')
    return (r) => {
      const v = input(r)
      const hit = v === null ? undefined : map.get(v)
      return hit ? hit(r) : onNoMatch(r)
    }
  const prefixes = [...map.keys()].sort((a, b) => b.length - a.length)
  return (r) => {
    const v = input(r)
    const key = v === null ? undefined : prefixes.find((p) => v.startsWith(p))
    return key !== undefined ? map.get(key)!(r) : onNoMatch(r)
  }
}

export function linkRbac(c: RbacIR): RbacConfig {
  return {
    rules: c.rules ? linkRules(c.rules) : undefined,
    shadowRules: c.shadowRules ? linkRules(c.shadowRules) : undefined,
    matcher: c.matcher ? linkUnifiedMatcher(c.matcher) : undefined,
    shadowMatcher: c.shadowMatcher ? linkUnifiedMatcher(c.shadowMatcher) : undefined,
    rulesStatPrefix: c.rulesStatPrefix,
    shadowRulesStatPrefix: c.shadowRulesStatPrefix,
  }
}
