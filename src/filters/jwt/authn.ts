/**
 * `envoy.filters.http.jwt_authn`: the first rule whose match fits the request
 * (or the route's `requirement_name`) says which tokens must verify. Failures
 * are Envoy's local replies: 401 (403 for a disallowed audience) with the
 * reason as body and `www-authenticate: Bearer realm="<scheme>://<host><path>"`,
 * plus `, error="invalid_token"` unless the token was simply missing.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/jwt_authn_filter
 */
import type { JwtRequirementIR } from '../../compile/ir.js'
import type { JwtPerRouteConfig, RouteMatch } from '../../compile/types.js'
import { RawQuery } from '../../snapshot/match-linkers.js'
import { routeMatchHolds } from '../../snapshot/matchers.js'
import { setDynamicMetadata } from '../metadata.js'
import { editRequestHeaders } from '../request.js'
import type { FilterContext, FilterDeps, FilterFactory } from '../types.js'
import { claimHeaderValue, identityHeaderNames } from './claims.js'
import { JwtProvider, type JwksFetcher } from './provider.js'
import { evaluate, type VerifiedJwt } from './requirements.js'
import { JWT_STATUS } from './status.js'

export const JWT_AUTHN = 'envoy.filters.http.jwt_authn'

/** A rule's match, as the router matches routes (raw query values, cookies). */
function ruleMatches(m: RouteMatch, c: FilterContext): boolean {
  const request = c.get('decision').match
  return routeMatchHolds(m, request, { params: () => new RawQuery(request.path) })
}

function applyVerified(c: FilterContext, verified: readonly VerifiedJwt[]): void {
  const edits: ((h: Headers) => void)[] = []
  for (const { provider, jwt, found } of verified) {
    const p = provider.config
    if (!p.forward && found.header) edits.push((h) => h.delete(found.header!))
    const payloadHeader = p.forwardPayloadHeader
    if (payloadHeader) {
      const padded = p.padForwardPayloadHeader ? jwt.payloadSegment + '='.repeat((4 - (jwt.payloadSegment.length % 4)) % 4) : jwt.payloadSegment
      edits.push((h) => h.set(payloadHeader, padded))
    }
    for (const claim of p.claimToHeaders ?? []) {
      const headerName = claim.headerName
      const v = claimHeaderValue(jwt.payload, claim)
      if (v !== undefined) edits.push((h) => h.set(headerName, v))
    }
    if (p.payloadInMetadata) setDynamicMetadata(c, JWT_AUTHN, p.payloadInMetadata, jwt.payload)
  }
  if (edits.length) editRequestHeaders(c, (h) => edits.forEach((e) => e(h)))
}

/** Fetches JWKS through the snapshot's cluster (a chosen host, or its service binding), else straight to the URI. */
function jwksFetcher(c: FilterContext, deps: FilterDeps): JwksFetcher {
  return (uri, clusterName, init) => {
    const cluster = clusterName !== undefined ? c.get('snapshot')?.clusters.get(clusterName) : undefined
    const host = cluster ? deps.clusters?.chooseHost(cluster) : undefined
    if (!host) return deps.fetch(uri, init)
    const u = new URL(uri)
    const target = `${host.origin}${u.pathname}${u.search}`
    const binding = host.binding !== undefined ? deps.bindings?.[host.binding] : undefined
    return binding ? binding.fetch(target, init) : deps.fetch(target, init)
  }
}

export const jwtAuthnFilter: FilterFactory<'jwt_authn'> = {
  kind: 'jwt_authn',
  name: JWT_AUTHN,
  statName: 'jwt_authn',
  create(config, { deps, count }) {
    const providers = new Map(config.providers.map((p) => [p.name, new JwtProvider(p, deps, count)]))
    const rules = config.rules
    const identityHeaders = identityHeaderNames(config.providers)
    /** Which requirement applies, found on the request as the client sent it (Envoy: findVerifier, then verify). */
    const requirementOf = (c: FilterContext, perRoute: JwtPerRouteConfig | undefined): JwtRequirementIR | undefined => {
      if (config.bypassCorsPreflight && c.req.method === 'OPTIONS' && c.req.header('origin') && c.req.header('access-control-request-method')) return undefined
      // PerRouteConfig { disabled: true }: this route is not verified.
      if (perRoute?.disabled) return undefined
      if (perRoute?.requirementName !== undefined) return config.requirementMap?.[perRoute.requirementName]
      return rules.find((r) => ruleMatches(r.match, c))?.requires
    }
    return async (c, next, perRoute) => {
      const requirement = requirementOf(c, perRoute)
      // Then, whatever the outcome: a client's own x-jwt-payload or claim header must
      // never pass for a verified one (Envoy's sanitizeHeaders, before extracting tokens).
      // Envoy strips them only when a requirement applies; edgevoy whenever the filter runs.
      if (identityHeaders.some((n) => c.req.raw.headers.has(n))) editRequestHeaders(c, (h) => identityHeaders.forEach((n) => h.delete(n)))
      // No rule applies: Envoy does not verify the request.
      if (!requirement) return next()
      const outcome = await evaluate(requirement, providers, c.req.raw, jwksFetcher(c, deps))
      if (outcome.status === 'Ok') {
        count('allowed')
        applyVerified(c, outcome.verified)
        return next()
      }
      count('denied')
      const { scheme, authority, path } = c.get('decision').match
      let challenge = `Bearer realm="${scheme}://${authority}${path}"`
      if (outcome.status !== 'JwtMissed') challenge += ', error="invalid_token"'
      const status = outcome.status === 'JwtAudienceNotAllowed' ? 403 : 401
      return c.text(JWT_STATUS[outcome.status], status, { 'www-authenticate': challenge })
    }
  },
}
