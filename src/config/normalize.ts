/**
 * v2 → v3: rewrite the older config shapes most tutorials (and the article)
 * use into the v3 shapes the schemas validate, remembering where every object
 * came from so that an error found in the v3 form points at the user's text.
 *
 * Runs before validation, so it only rewrites what looks like the v2 form and
 * leaves anything else as it is for the schemas to reject.
 * https://www.envoyproxy.io/docs/envoy/latest/faq/api/envoy_v3 (v2 → v3 changes)
 */
import type { ConfigPath } from './issues.js'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Deprecated extension names → their v3 names. https://www.envoyproxy.io/docs/envoy/latest/version_history/v1.14.0#deprecated */
export const V2_FILTER_NAMES: Readonly<Record<string, string>> = {
  'envoy.http_connection_manager': 'envoy.filters.network.http_connection_manager',
  'envoy.router': 'envoy.filters.http.router',
  'envoy.cors': 'envoy.filters.http.cors',
  'envoy.fault': 'envoy.filters.http.fault',
  'envoy.rate_limit': 'envoy.filters.http.ratelimit',
  'envoy.filters.http.rate_limit': 'envoy.filters.http.ratelimit',
  'envoy.lua': 'envoy.filters.http.lua',
  'envoy.ext_authz': 'envoy.filters.http.ext_authz',
  'envoy.health_check': 'envoy.filters.http.health_check',
  'envoy.buffer': 'envoy.filters.http.buffer',
  'envoy.gzip': 'envoy.filters.http.gzip',
  'envoy.grpc_web': 'envoy.filters.http.grpc_web',
  'envoy.local_ratelimit': 'envoy.filters.http.local_ratelimit',
  'envoy.jwt_authn': 'envoy.filters.http.jwt_authn',
  'envoy.filters.http.jwt_authn': 'envoy.filters.http.jwt_authn',
  'envoy.rbac': 'envoy.filters.http.rbac',
}

export const HCM_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'

/** `@type` of the HTTP filters edgevoy knows, so a v2 `config:` can become `typed_config`. */
export const HTTP_FILTER_TYPE_URLS: Readonly<Record<string, string>> = {
  'envoy.filters.http.router': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  'envoy.filters.http.cors': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors',
  'envoy.filters.http.fault': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  'envoy.filters.http.local_ratelimit': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
  'envoy.filters.http.jwt_authn': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
  'envoy.filters.http.rbac': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
}

export interface Normalized {
  /** The config in v3 form (a fresh copy; the input is not changed). */
  readonly doc: unknown
  /** Where a path of the v3 form was in the source document. */
  readonly sourcePathOf: (v3Path: ConfigPath) => ConfigPath
  /** What was rewritten, for `validate` to mention. */
  readonly rewrites: readonly string[]
}

export function normalize(input: unknown): Normalized {
  const origin = new Map<object, ConfigPath>()
  const rewrites = new Set<string>()

  const copy = (value: unknown, path: ConfigPath): unknown => {
    if (Array.isArray(value)) {
      const out = value.map((v, i) => copy(v, [...path, i]))
      origin.set(out, path)
      return out
    }
    if (isObject(value)) {
      const out: Json = {}
      for (const [k, v] of Object.entries(value)) out[k] = copy(v, [...path, k])
      origin.set(out, path)
      return out
    }
    return value
  }

  const rename = (obj: Json, from: string, to: string, why: string) => {
    if (from in obj && !(to in obj)) {
      obj[to] = obj[from]
      delete obj[from]
      rewrites.add(why)
    }
  }

  const doc = copy(input, [])
  const each = (v: unknown, f: (o: Json) => void) => Array.isArray(v) && v.forEach((x) => isObject(x) && f(x))

  const routeMatch = (m: Json) => {
    if (typeof m.regex === 'string' && !('safe_regex' in m)) {
      m.safe_regex = { regex: m.regex }
      origin.set(m.safe_regex as object, [...(origin.get(m) ?? []), 'regex'])
      delete m.regex
      rewrites.add('match.regex → match.safe_regex')
    }
    each(m.headers, (h) => {
      if (typeof h.regex_match === 'string' && !('safe_regex_match' in h)) {
        h.safe_regex_match = { regex: h.regex_match }
        origin.set(h.safe_regex_match as object, [...(origin.get(h) ?? []), 'regex_match'])
        delete h.regex_match
        rewrites.add('headers[].regex_match → safe_regex_match')
      }
    })
  }

  const routeConfig = (rc: Json) =>
    each(rc.virtual_hosts, (vh) => {
      rename(vh, 'per_filter_config', 'typed_per_filter_config', 'per_filter_config → typed_per_filter_config')
      each(vh.routes, (r) => {
        rename(r, 'per_filter_config', 'typed_per_filter_config', 'per_filter_config → typed_per_filter_config')
        if (isObject(r.match)) routeMatch(r.match)
        if (isObject(r.route)) {
          rename(r.route, 'host_rewrite', 'host_rewrite_literal', 'route.host_rewrite → host_rewrite_literal')
          if (isObject(r.route.weighted_clusters))
            each(r.route.weighted_clusters.clusters, (c) => rename(c, 'per_filter_config', 'typed_per_filter_config', 'per_filter_config → typed_per_filter_config'))
        }
      })
    })

  const typedConfig = (f: Json, typeUrl: string | undefined) => {
    if (isObject(f.config) && !('typed_config' in f)) {
      const cfg = f.config
      if (typeUrl && !('@type' in cfg)) cfg['@type'] = typeUrl
      f.typed_config = cfg
      delete f.config
      rewrites.add('config → typed_config')
    }
  }

  const filterName = (f: Json) => {
    if (typeof f.name === 'string' && V2_FILTER_NAMES[f.name] && V2_FILTER_NAMES[f.name] !== f.name) {
      rewrites.add(`${f.name} → ${V2_FILTER_NAMES[f.name]}`)
      f.name = V2_FILTER_NAMES[f.name]
    }
  }

  const listener = (l: Json) => {
    if (isObject(l.filter_chains)) {
      const chain = l.filter_chains
      l.filter_chains = [chain]
      origin.set(l.filter_chains as object, origin.get(chain) ?? [])
      rewrites.add('filter_chains as a mapping → a list')
    }
    each(l.filter_chains, (chain) =>
      each(chain.filters, (f) => {
        filterName(f)
        if (f.name === 'envoy.filters.network.http_connection_manager') typedConfig(f, HCM_TYPE_URL)
        const hcm = f.typed_config
        if (!isObject(hcm)) return
        if (isObject(hcm.route_config)) routeConfig(hcm.route_config)
        each(hcm.http_filters, (hf) => {
          filterName(hf)
          typedConfig(hf, typeof hf.name === 'string' ? HTTP_FILTER_TYPE_URLS[hf.name] : undefined)
        })
      }),
    )
  }

  const cluster = (c: Json) => {
    for (const key of ['type', 'lb_policy'] as const)
      if (typeof c[key] === 'string' && c[key] !== (c[key] as string).toUpperCase()) {
        rewrites.add(`${key}: ${c[key]} → ${(c[key] as string).toUpperCase()}`)
        c[key] = (c[key] as string).toUpperCase()
      }
    if (Array.isArray(c.hosts) && !('load_assignment' in c)) {
      const hosts = c.hosts
      const lbEndpoints = hosts.map((address) => ({ endpoint: { address } }))
      c.load_assignment = { cluster_name: c.name, endpoints: [{ lb_endpoints: lbEndpoints }] }
      const at = origin.get(hosts) ?? []
      origin.set(c.load_assignment as object, at)
      lbEndpoints.forEach((e, i) => origin.set(e, [...at, i]) && origin.set(e.endpoint, [...at, i]))
      delete c.hosts
      rewrites.add('cluster hosts → load_assignment')
    }
    if (isObject(c.tls_context) && !('transport_socket' in c)) {
      c.transport_socket = { name: 'envoy.transport_sockets.tls', typed_config: c.tls_context }
      origin.set(c.transport_socket as object, origin.get(c.tls_context) ?? [])
      delete c.tls_context
      rewrites.add('cluster tls_context → transport_socket')
    }
  }

  if (isObject(doc) && isObject(doc.static_resources)) {
    each(doc.static_resources.listeners, listener)
    each(doc.static_resources.clusters, cluster)
  }

  const sourcePathOf = (v3Path: ConfigPath): ConfigPath => {
    let node: unknown = doc
    let best: ConfigPath = []
    let rest: ConfigPath = v3Path
    for (let i = 0; i < v3Path.length; i++) {
      if (!isObject(node) && !Array.isArray(node)) break
      node = (node as Record<string | number, unknown>)[v3Path[i] as string | number]
      const at = typeof node === 'object' && node !== null ? origin.get(node) : undefined
      if (at) {
        best = at
        rest = v3Path.slice(i + 1)
      }
    }
    return [...best, ...rest]
  }

  return { doc, sourcePathOf, rewrites: [...rewrites] }
}
