/**
 * HTTP filter configs and per-route overrides (as data) → what the filters
 * run with: their matchers and policies compiled to predicates, once per
 * snapshot, never per request.
 */
import type { CorsPolicyIR, FaultIR, FilterOverrideIR, HttpFilterIR, JwtAuthnIR, PerRouteFilterConfigIR, RateLimitIR } from '../compile/ir.js'
import type { CorsPolicy, FaultConfig, FilterOverride, HttpFilter, JwtAuthnConfig, RateLimit } from '../compile/types.js'
import { linkHeaderMatcher, linkRouteMatch, linkStringMatcher } from './matchers.js'
import { linkRbac } from './rbac.js'

const NONE: readonly never[] = Object.freeze([])

export function linkCors(c: CorsPolicyIR): CorsPolicy {
  const matchers = c.allowOrigin.map(linkStringMatcher)
  const { allowOrigin: _, ...rest } = c
  return { ...rest, allowOrigin: (origin) => matchers.some((m) => m(origin) || m('*')) }
}

export function linkFault(c: FaultIR): FaultConfig {
  return { ...c, headers: c.headers ? c.headers.map(linkHeaderMatcher) : NONE }
}

export function linkJwtAuthn(c: JwtAuthnIR): JwtAuthnConfig {
  return { ...c, rules: c.rules.map((r) => ({ match: linkRouteMatch(r.match), requires: r.requires })) }
}

export function linkRateLimits(list: readonly RateLimitIR[] | undefined): readonly RateLimit[] {
  if (!list?.length) return NONE
  return list.map((rl) => ({
    stage: rl.stage,
    actions: rl.actions.map((a) =>
      a.kind === 'header_value_match'
        ? { ...a, headers: a.headers.map(linkHeaderMatcher) }
        : a.kind === 'request_headers'
          ? { ...a, skipIfAbsent: a.skipIfAbsent === true }
          : a,
    ),
  }))
}

export function linkHttpFilter(f: HttpFilterIR): HttpFilter {
  const base = { name: f.name, typeUrl: f.typeUrl, isOptional: f.isOptional === true, disabled: f.disabled === true }
  switch (f.kind) {
    case 'router':
    case 'unknown':
    case 'cors':
      return { ...base, kind: f.kind, config: undefined }
    case 'fault':
      return { ...base, kind: f.kind, config: linkFault(f.config) }
    case 'local_ratelimit':
    case 'cloudflare_ratelimit':
      return { ...base, kind: f.kind, config: f.config } as HttpFilter
    case 'rbac':
      return { ...base, kind: f.kind, config: linkRbac(f.config) }
    case 'jwt_authn':
      return { ...base, kind: f.kind, config: linkJwtAuthn(f.config) }
  }
}

function linkPerRouteConfig(c: PerRouteFilterConfigIR): unknown {
  switch (c.kind) {
    case 'cors':
      return linkCors(c.config)
    case 'fault':
      return linkFault(c.config)
    case 'rbac':
      return { rbac: c.config ? linkRbac(c.config) : undefined }
    case 'local_ratelimit':
    case 'cloudflare_ratelimit':
    case 'jwt_authn':
      return c.config
  }
}

export function linkFilterOverride(o: FilterOverrideIR): FilterOverride {
  return { disabled: o.disabled, config: o.config ? linkPerRouteConfig(o.config) : undefined }
}

export const NO_OVERRIDES: Readonly<Record<string, FilterOverride>> = Object.freeze({})

export function linkFilterOverrides(o: Readonly<Record<string, FilterOverrideIR>> | undefined): Readonly<Record<string, FilterOverride>> {
  if (!o) return NO_OVERRIDES
  const out: Record<string, FilterOverride> = {}
  for (const [name, entry] of Object.entries(o)) out[name] = linkFilterOverride(entry)
  return out
}
