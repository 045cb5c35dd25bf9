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
import type { MoveRecorder } from './proto-json.js'

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

/**
 * Where a node the rewrites moved or created came from: under `parent` (a node
 * of the copy, or another moved node) at `key`. Nodes the rewrites did not
 * touch need no record — their source path is their parent's plus their key —
 * so the copy stays a plain copy (no path per node: a 10,000-route config has
 * hundreds of thousands of nodes).
 */
interface Origin {
  readonly parent: object
  readonly key: string | number
}

/**
 * `canonicalize` runs after the v2 rewrites with the same move records: the
 * protobuf-JSON pass (proto-json.ts), which needs the schemas this module
 * does not import.
 */
export function normalize(input: unknown, canonicalize?: (doc: unknown, moves: MoveRecorder) => void): Normalized {
  const origin = new Map<object, Origin>()
  /** Nodes the rewrites created that have no place in the source (errors inside point at their nearest placed ancestor). */
  const unplaced = new Set<object>()
  const rewrites = new Set<string>()

  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      const out: unknown[] = new Array(value.length)
      for (let i = 0; i < value.length; i++) out[i] = copy(value[i])
      return out
    }
    if (isObject(value)) {
      const out: Json = {}
      for (const k of Object.keys(value)) out[k] = copy(value[k])
      return out
    }
    return value
  }
  const movedFrom = (node: unknown, parent: object, key: string | number) => {
    if (typeof node === 'object' && node !== null) origin.set(node, { parent, key })
  }

  const rename = (obj: Json, from: string, to: string, why: string) => {
    if (from in obj && !(to in obj)) {
      obj[to] = obj[from]
      movedFrom(obj[to], obj, from)
      delete obj[from]
      rewrites.add(why)
    }
  }

  const doc = copy(input)
  const moves: MoveRecorder = { movedFrom, rewrote: (what) => rewrites.add(what) }
  // Before the v2 rewrites, which walk lists (`clusters: {…}` is a list of one to them too).
  canonicalize?.(doc, moves)
  const each = (v: unknown, f: (o: Json) => void) => Array.isArray(v) && v.forEach((x) => isObject(x) && f(x))

  const routeMatch = (m: Json) => {
    if (typeof m.regex === 'string' && !('safe_regex' in m)) {
      m.safe_regex = { regex: m.regex }
      movedFrom(m.safe_regex, m, 'regex')
      delete m.regex
      rewrites.add('match.regex → match.safe_regex')
    }
    // v2 RouteMatch.runtime → runtime_fraction (a percentage out of 100).
    if (isObject(m.runtime) && !('runtime_fraction' in m)) {
      const { runtime_key, default_value } = m.runtime
      m.runtime_fraction = { ...(runtime_key !== undefined ? { runtime_key } : {}), default_value: { numerator: default_value ?? 0, denominator: 'HUNDRED' } }
      movedFrom(m.runtime_fraction, m, 'runtime')
      delete m.runtime
      rewrites.add('match.runtime → match.runtime_fraction')
    }
    each(m.headers, (h) => {
      // v2's deprecated HeaderMatcher.value (+ regex: true): exact, regex, or — empty — presence.
      if ('value' in h && typeof h.value === 'string' && !['exact_match', 'safe_regex_match', 'regex_match', 'present_match', 'string_match'].some((k) => k in h)) {
        const regex = h.regex === true || (isObject(h.regex) && h.regex.value === true)
        if (h.value === '') h.present_match = true
        else if (regex) h.regex_match = h.value
        else h.exact_match = h.value
        delete h.value
        delete h.regex
        rewrites.add('headers[].value → exact_match / regex_match / present_match')
      }
      if (typeof h.regex_match === 'string' && !('safe_regex_match' in h)) {
        h.safe_regex_match = { regex: h.regex_match }
        movedFrom(h.safe_regex_match, h, 'regex_match')
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
      movedFrom(cfg, f, 'config')
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
      // Both the new list and the chain in it are, in the source, `filter_chains` itself.
      movedFrom(l.filter_chains, l, 'filter_chains')
      movedFrom(chain, l, 'filter_chains')
      rewrites.add('filter_chains as a mapping → a list')
    }
    each(l.filter_chains, (chain) =>
      each(chain.filters, (f) => {
        filterName(f)
        if (f.name === 'envoy.filters.network.http_connection_manager') typedConfig(f, HCM_TYPE_URL)
        const hcm = f.typed_config
        if (!isObject(hcm)) return
        // v2 HttpConnectionManager.idle_timeout → common_http_protocol_options.idle_timeout.
        if ('idle_timeout' in hcm && !(isObject(hcm.common_http_protocol_options) && 'idle_timeout' in hcm.common_http_protocol_options)) {
          const options = isObject(hcm.common_http_protocol_options) ? hcm.common_http_protocol_options : {}
          options.idle_timeout = hcm.idle_timeout
          hcm.common_http_protocol_options = options
          movedFrom(options, hcm, 'idle_timeout')
          delete hcm.idle_timeout
          rewrites.add('idle_timeout → common_http_protocol_options.idle_timeout')
        }
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
      const endpoints = [{ lb_endpoints: lbEndpoints }]
      c.load_assignment = { cluster_name: c.name, endpoints }
      movedFrom(hosts, c, 'hosts')
      movedFrom(c.load_assignment, c, 'hosts')
      unplaced.add(endpoints).add(endpoints[0]!).add(lbEndpoints)
      lbEndpoints.forEach((e, i) => {
        movedFrom(e, hosts, i)
        movedFrom(e.endpoint, hosts, i)
        movedFrom(e.endpoint.address, hosts, i)
      })
      delete c.hosts
      rewrites.add('cluster hosts → load_assignment')
    }
    // v2 HttpHealthCheck.service_name → service_name_matcher (a prefix match, as v2 documented it).
    each(c.health_checks, (hc) => {
      const http = hc.http_health_check
      if (isObject(http) && typeof http.service_name === 'string' && !('service_name_matcher' in http)) {
        http.service_name_matcher = { prefix: http.service_name }
        movedFrom(http.service_name_matcher, http, 'service_name')
        delete http.service_name
        rewrites.add('http_health_check.service_name → service_name_matcher')
      }
    })
    if (isObject(c.tls_context) && !('transport_socket' in c)) {
      c.transport_socket = { name: 'envoy.transport_sockets.tls', typed_config: c.tls_context }
      movedFrom(c.transport_socket, c, 'tls_context')
      movedFrom(c.tls_context, c, 'tls_context')
      delete c.tls_context
      rewrites.add('cluster tls_context → transport_socket')
    }
  }

  if (isObject(doc) && isObject(doc.static_resources)) {
    each(doc.static_resources.listeners, listener)
    each(doc.static_resources.clusters, cluster)
  }

  // Again after the v2 rewrites: a v2 `config:` became a `typed_config` the first pass could not see.
  canonicalize?.(doc, moves)

  const sourcePathOf = (v3Path: ConfigPath): ConfigPath => {
    // Source paths of the nodes on this walk; a moved node's is found from its recorded parent.
    const placed = new Map<object, ConfigPath>()
    const pathOf = (node: object): ConfigPath | undefined => {
      const known = placed.get(node)
      if (known) return known
      const o = origin.get(node)
      const base = o && pathOf(o.parent)
      return base && [...base, o.key]
    }
    let node: unknown = doc
    let here: ConfigPath | undefined = []
    let best: ConfigPath = []
    let rest: ConfigPath = v3Path
    if (typeof doc === 'object' && doc !== null) placed.set(doc, here)
    for (let i = 0; i < v3Path.length; i++) {
      if (!isObject(node) && !Array.isArray(node)) break
      const parentPath: ConfigPath | undefined = here
      node = (node as Record<string | number, unknown>)[v3Path[i] as string | number]
      here = undefined
      if (typeof node === 'object' && node !== null) {
        if (origin.has(node)) here = pathOf(node)
        else if (!unplaced.has(node) && parentPath) here = [...parentPath, v3Path[i]!]
        if (here) placed.set(node, here)
      }
      if (here) {
        best = here
        rest = v3Path.slice(i + 1)
      }
    }
    return [...best, ...rest]
  }

  return { doc, sourcePathOf, rewrites: [...rewrites] }
}
