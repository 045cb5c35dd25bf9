/**
 * HTTP filter configs and per-route overrides (as data) → what the filters
 * run with: their matchers and policies compiled to predicates, once per
 * snapshot, never per request. Only a snapshot whose filters or per-route
 * overrides carry such a config needs this (and RBAC's and OAuth2's
 * linkers): snapshot/filters.ts imports it before such a snapshot is linked.
 */
import type { CacheFilterIR, QueryMatcherIR, CsrfPolicyIR, FaultIR, FilterOverrideIR, HeaderMutationFilterIR, HeaderMutationStepIR, HealthCheckFilterIR, HttpFilterIR, JwtAuthnIR, PerRouteFilterConfigIR } from '../compile/ir.js'
import type { CacheFilterConfig, CacheQueryMatch, CsrfPolicy, FaultConfig, FilterOverride, HeaderMutationFilterConfig, HeaderMutationStep, HealthCheckFilterConfig, HttpFilter, JwtAuthnConfig } from '../compile/types.js'
import { filterBase } from './filters.js'
import { linkHeaderMutation } from './headers.js'
import { linkCors, linkHeaderMatcher, linkRouteMatch, linkStringMatcher } from './match-linkers.js'
import { linkRbac } from './rbac.js'
import { linkOAuth2 } from './oauth2.js'

const NONE: readonly never[] = Object.freeze([])

export function linkFault(c: FaultIR): FaultConfig {
  return { ...c, headers: c.headers ? c.headers.map(linkHeaderMatcher) : NONE }
}

export function linkJwtAuthn(c: JwtAuthnIR): JwtAuthnConfig {
  return { ...c, rules: c.rules.map((r) => ({ match: linkRouteMatch(r.match), requires: r.requires })) }
}

export function linkHealthCheck(c: HealthCheckFilterIR): HealthCheckFilterConfig {
  return { passThrough: c.passThrough, headers: c.headers.map(linkHeaderMatcher) }
}

export function linkCsrf(c: CsrfPolicyIR): CsrfPolicy {
  return { filterEnabled: c.filterEnabled, shadowEnabled: c.shadowEnabled, additionalOrigins: c.additionalOrigins.map(linkStringMatcher) }
}

function linkMutationStep(s: HeaderMutationStepIR): HeaderMutationStep {
  switch (s.kind) {
    case 'remove':
      return s
    case 'append':
      return { kind: 'append', mutation: linkHeaderMutation(s.mutation) }
    case 'remove_on_match':
      return { kind: 'remove_on_match', keyMatcher: linkStringMatcher(s.keyMatcher) }
  }
}

export function linkHeaderMutationFilter(c: HeaderMutationFilterIR): HeaderMutationFilterConfig {
  return { request: c.request.map(linkMutationStep), response: c.response.map(linkMutationStep) }
}

/** A filter of a kind whose config needs linking (filters.ts LINKED_KINDS; `linkHttpFilter` links the rest itself). */
export function linkFilterWithConfig(f: HttpFilterIR): HttpFilter {
  const base = filterBase(f)
  switch (f.kind) {
    case 'fault':
      return { ...base, kind: f.kind, config: linkFault(f.config) }
    case 'rbac':
      return { ...base, kind: f.kind, config: linkRbac(f.config) }
    case 'jwt_authn':
      return { ...base, kind: f.kind, config: linkJwtAuthn(f.config) }
    case 'health_check':
      return { ...base, kind: f.kind, config: linkHealthCheck(f.config) }
    case 'csrf':
      return { ...base, kind: f.kind, config: linkCsrf(f.config) }
    case 'cache':
      return { ...base, kind: f.kind, config: linkCacheFilter(f.config) }
    case 'header_mutation':
      return { ...base, kind: f.kind, config: linkHeaderMutationFilter(f.config) }
    case 'oauth2':
      return { ...base, kind: f.kind, config: f.config ? linkOAuth2(f.config) : undefined }
    default:
      throw new Error(`edgevoy: filter kind "${f.kind}" has no config to link here (snapshot/filters.ts links it)`)
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
    case 'header_to_metadata':
      return c.config
    case 'csrf':
      return linkCsrf(c.config)
    case 'header_mutation':
      return linkHeaderMutationFilter(c.config)
  }
}

export function linkFilterOverride(o: FilterOverrideIR): FilterOverride {
  return { disabled: o.disabled, config: o.config ? linkPerRouteConfig(o.config) : undefined }
}

/** The cache filter's matchers, linked (allowed_vary_headers, key_creator_params query matchers). */
export function linkCacheFilter(c: CacheFilterIR): CacheFilterConfig {
  const vary = c.allowedVaryHeaders.map(linkStringMatcher)
  const query = (q: QueryMatcherIR): CacheQueryMatch => ({ name: q.name, value: q.match.kind === 'any' ? () => true : linkStringMatcher(q.match) })
  return {
    disabled: c.disabled,
    varyAllowed: (name) => vary.some((m) => m(name)),
    excludeScheme: c.excludeScheme,
    excludeHost: c.excludeHost,
    queryIncluded: c.queryParametersIncluded.map(query),
    queryExcluded: c.queryParametersExcluded.map(query),
    maxBodyBytes: c.maxBodyBytes,
    ignoreRequestCacheControl: c.ignoreRequestCacheControl,
    statLabel: c.statLabel,
  }
}
