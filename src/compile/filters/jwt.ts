/**
 * `envoy.filters.http.jwt_authn` / `PerRouteConfig` → JwtAuthnIR: providers
 * with Envoy's defaults, rules with their route matches as data and their
 * requirement_name resolved.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto
 */
import type { JwtAuthenticationConfig, JwtPerRouteConfig, JwtProviderConfig, JwtRequirementConfig } from '../../config/schema/filters/jwt-authn.js'
import type { JwtAuthnIR, JwtPerRouteIR, JwtProviderIR, JwtRequirementIR } from '../ir.js'
import { lowerRouteMatch } from '../match.js'

/** Envoy's defaults: keys cached 10 minutes, 60 s of clock skew, a 5 s JWKS fetch timeout. */
const DEFAULT_CACHE_MS = 600_000
const DEFAULT_FETCH_TIMEOUT_MS = 5_000
const DEFAULT_SKEW_S = 60

function provider(name: string, c: JwtProviderConfig): JwtProviderIR {
  const inline = c.local_jwks?.inline_string ?? (c.local_jwks?.inline_bytes !== undefined ? atob(c.local_jwks.inline_bytes) : undefined)
  // Envoy's default location is `Authorization: Bearer <token>` plus the `access_token` query parameter.
  const custom = c.from_headers !== undefined || c.from_params !== undefined || c.from_cookies !== undefined
  const remote = c.remote_jwks
  return {
    name,
    ...(c.issuer !== undefined && c.issuer !== '' ? { issuer: c.issuer } : {}),
    ...(c.audiences?.length ? { audiences: c.audiences } : {}),
    ...(inline !== undefined ? { localJwks: inline } : {}),
    ...(remote
      ? {
          remoteJwks: {
            uri: remote.http_uri.uri,
            ...(remote.http_uri.cluster !== undefined ? { cluster: remote.http_uri.cluster } : {}),
            timeoutMs: remote.http_uri.timeout ?? DEFAULT_FETCH_TIMEOUT_MS,
            cacheDurationMs: remote.cache_duration ?? DEFAULT_CACHE_MS,
          },
        }
      : {}),
    fromHeaders: custom ? (c.from_headers ?? []).map((h) => ({ name: h.name, valuePrefix: h.value_prefix ?? '' })) : [{ name: 'authorization', valuePrefix: 'Bearer ' }],
    fromParams: custom ? (c.from_params ?? []) : ['access_token'],
    fromCookies: c.from_cookies ?? [],
    forward: c.forward === true,
    ...(c.forward_payload_header !== undefined ? { forwardPayloadHeader: c.forward_payload_header } : {}),
    ...(c.pad_forward_payload_header ? { padForwardPayloadHeader: true as const } : {}),
    ...(c.payload_in_metadata !== undefined ? { payloadInMetadata: c.payload_in_metadata } : {}),
    clockSkewSeconds: c.clock_skew_seconds ?? DEFAULT_SKEW_S,
    ...(c.claim_to_headers?.length ? { claimToHeaders: c.claim_to_headers.map((h) => ({
            headerName: h.header_name,
            ...(h.claim_name !== undefined ? { claimName: h.claim_name } : {}),
            ...(h.claim_path !== undefined ? { claimPath: h.claim_path.map((s) => s.key) } : {}),
          })) } : {}),
  }
}

export function lowerRequirement(r: JwtRequirementConfig): JwtRequirementIR {
  if (r.provider_name !== undefined) return { kind: 'provider', provider: r.provider_name }
  if (r.provider_and_audiences) return { kind: 'provider', provider: r.provider_and_audiences.provider_name, audiences: r.provider_and_audiences.audiences }
  if (r.requires_any) return { kind: 'requires_any', requirements: r.requires_any.requirements.map(lowerRequirement) }
  if (r.requires_all) return { kind: 'requires_all', requirements: r.requires_all.requirements.map(lowerRequirement) }
  if (r.allow_missing) return { kind: 'allow_missing' }
  if (r.allow_missing_or_failed) return { kind: 'allow_missing_or_failed' }
  return { kind: 'none' }
}

export function lowerJwtAuthn(c: JwtAuthenticationConfig): JwtAuthnIR {
  const map = c.requirement_map ?? {}
  return {
    providers: Object.entries(c.providers).map(([name, p]) => provider(name, p)),
    rules: (c.rules ?? []).map((r) => {
      const requires = r.requires ?? (r.requirement_name !== undefined ? map[r.requirement_name] : undefined)
      return { match: lowerRouteMatch(r.match), ...(requires ? { requires: lowerRequirement(requires) } : {}) }
    }),
    ...(c.requirement_map ? { requirementMap: Object.fromEntries(Object.entries(map).map(([k, r]) => [k, lowerRequirement(r)])) } : {}),
    ...(c.bypass_cors_preflight ? { bypassCorsPreflight: true as const } : {}),
  }
}

export function lowerJwtPerRoute(c: JwtPerRouteConfig): JwtPerRouteIR {
  return { ...(c.disabled ? { disabled: true as const } : {}), ...(c.requirement_name !== undefined ? { requirementName: c.requirement_name } : {}) }
}
