/**
 * The checks Envoy makes across a config's parts, after each part is valid on
 * its own: routed clusters exist, names and domains are unique, traffic
 * shifting weights add up. Paths are in the v3 form; `load` maps them back.
 *
 * They run on the normalized document even when parts of it failed the
 * schemas, so one run reports every error; anything malformed is skipped here
 * (the schemas already report it).
 */
import type { ConfigIssue, ConfigPath } from './issues.js'
import { didYouMean } from './suggest.js'
import { checkOAuth2Filters } from './oauth2-check.js'

type Issue = Omit<ConfigIssue, 'line' | 'column'>

const ZIPKIN_TRACERS = ['envoy.tracers.zipkin', 'envoy.zipkin']

// The document is not validated as a whole here: read it defensively.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any
const list = (v: Loose): Loose[] => (Array.isArray(v) ? v : [])
const str = (v: Loose): string | undefined => (typeof v === 'string' ? v : undefined)
/** A bool or its BoolValue wrapper form (`{ value: false }`). */
const bool = (v: Loose): boolean | undefined => {
  const x = v !== null && typeof v === 'object' ? v.value : v
  return typeof x === 'boolean' ? x : undefined
}
const num = (v: Loose): number | undefined => {
  const x = v !== null && typeof v === 'object' ? v.value : v
  return typeof x === 'number' ? x : typeof x === 'string' && /^\d+$/.test(x) ? Number(x) : undefined
}

export function crossCheck(config: Loose): Issue[] {
  const issues: Issue[] = []
  const error = (path: ConfigPath, code: string, message: string) => issues.push({ severity: 'error', code, path, message })
  const warn = (path: ConfigPath, code: string, message: string) => issues.push({ severity: 'warning', code, path, message })

  const clusters = list(config?.static_resources?.clusters)
  const listeners = list(config?.static_resources?.listeners)
  const clusterNames = new Set<string>()
  clusters.forEach((c, i) => {
    const name = str(c?.name)
    if (name === undefined) return
    const path = ['static_resources', 'clusters', i, 'name']
    // https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/cluster.proto: "name must be unique across all clusters"
    if (clusterNames.has(name)) error(path, 'duplicate_cluster', `duplicate cluster name "${name}"`)
    clusterNames.add(name)
    const endpoints = list(c?.load_assignment?.endpoints).flatMap((l) => list(l?.lb_endpoints))
    if (endpoints.length === 0 && c.type !== 'EDS') warn(path, 'empty_cluster', `cluster "${name}" has no endpoints: requests routed to it get 503 "no healthy upstream"`)
  })
  const knownClusters = [...clusterNames]
  const inlineSecrets = new Set<string>(
    list(config?.static_resources?.secrets)
      .filter((s) => s?.generic_secret?.secret && (typeof s.generic_secret.secret.inline_string === 'string' || typeof s.generic_secret.secret.inline_bytes === 'string'))
      .map((s) => String(s.name)),
  )
  // RouteConfiguration.validate_clusters: true (the default for a route_config
  // written in the listener) refuses a route naming a cluster that does not
  // exist; false loads it, and such a route answers cluster_not_found_response_code
  // (Envoy: ConfigImpl, PROTOBUF_GET_WRAPPED_OR_DEFAULT(config, validate_clusters, …);
  // RouteCreator::createAndValidateRoute). edgevoy still says so, as a warning.
  let validateClusters = true
  const checkCluster = (name: string, path: ConfigPath) => {
    if (clusterNames.has(name)) return
    const hint = didYouMean(name, knownClusters)
    const defined = `route names cluster "${name}", which is not defined${hint ? ` (did you mean "${hint}"?)` : ''}`
    if (validateClusters) error(path, 'missing_cluster', defined)
    else warn(path, 'missing_cluster', `${defined}: with validate_clusters false the route loads and answers its cluster_not_found_response_code (503 unless set)`)
  }

  // Tracing changes no answer: a tracer edgevoy cannot export to is a warning, never silence.
  const checkTracer = (provider: Loose, path: ConfigPath) => {
    if (!provider || typeof provider !== 'object') return
    const type = str(provider.typed_config?.['@type']) ?? ''
    const name = str(provider.name) ?? type
    if (ZIPKIN_TRACERS.includes(name) || type.endsWith('.ZipkinConfig')) return
    warn(path, 'tracer', `tracer "${name || '?'}" is not run: edgevoy propagates W3C and B3 trace headers and exports spans as Zipkin v2 JSON only (envoy.tracers.zipkin)`)
  }
  checkTracer(config?.tracing?.http, ['tracing', 'http'])

  // A Worker serves one listener: a config with none (and no xDS to bring one) would answer 503 to everything.
  const dynamic = config?.dynamic_resources
  if (listeners.length === 0 && !dynamic?.lds_config && !dynamic?.cds_config)
    error([], 'no_listeners', 'the config has no listeners (static_resources.listeners) and no dynamic_resources: edgevoy would have nothing to serve')
  else if (listeners.length === 0 && !dynamic?.lds_config)
    warn(['dynamic_resources'], 'no_listeners', 'no static listeners and no lds_config: no listener can ever arrive, so every request answers 503')

  const listenerNames = new Set<string>()
  listeners.forEach((l, li) => {
    const lpath = ['static_resources', 'listeners', li]
    const lname = str(l?.name)
    if (lname !== undefined) {
      if (listenerNames.has(lname)) error([...lpath, 'name'], 'duplicate_listener', `duplicate listener name "${lname}"`)
      listenerNames.add(lname)
    }
    const chains = list(l?.filter_chains)
    if (chains.length > 1) warn([...lpath, 'filter_chains'], 'filter_chains', 'several filter chains: edgevoy serves the first (Cloudflare terminates TLS, so SNI and filter_chain_match cannot choose)')
    chains.forEach((chain, fi) =>
      list(chain?.filters).forEach((f, ni) => {
        checkOAuth2Filters(f?.typed_config?.http_filters, [...lpath, 'filter_chains', fi, 'filters', ni, 'typed_config', 'http_filters'], clusterNames, inlineSecrets, { error, warn })
        const tracing = f?.typed_config?.tracing
        if (tracing && typeof tracing === 'object') checkTracer(tracing.provider, [...lpath, 'filter_chains', fi, 'filters', ni, 'typed_config', 'tracing', 'provider'])
        const rc = f?.typed_config?.route_config
        if (!rc || typeof rc !== 'object') return
        const rcPath = [...lpath, 'filter_chains', fi, 'filters', ni, 'typed_config', 'route_config']
        validateClusters = bool(rc.validate_clusters) !== false
        const vhostNames = new Set<string>()
        const domains = new Map<string, string>()
        list(rc.virtual_hosts).forEach((vh, vi) => {
          const vpath = [...rcPath, 'virtual_hosts', vi]
          const vname = str(vh?.name)
          if (vname !== undefined && vhostNames.has(vname)) error([...vpath, 'name'], 'duplicate_virtual_host', `duplicate virtual host name "${vname}"`)
          if (vname !== undefined) vhostNames.add(vname)
          list(vh?.domains).forEach((d, di) => {
            if (typeof d !== 'string') return
            const key = d.toLowerCase()
            // Envoy: "Only unique values for domains are permitted. Duplicate entry of domain …"
            const other = domains.get(key)
            if (other !== undefined) error([...vpath, 'domains', di], 'duplicate_domain', `domain "${d}" is already used by virtual host "${other}"; Envoy requires domains to be unique within a route configuration`)
            else domains.set(key, vname ?? `#${vi}`)
            if (d !== '*' && d.slice(1, -1).includes('*')) error([...vpath, 'domains', di], 'invalid_domain', `domain "${d}": a wildcard may only be a prefix (*.example.com) or a suffix (example.*)`)
          })
          const routeNames = new Set<string>()
          list(vh?.routes).forEach((r, ri) => {
            const rpath = [...vpath, 'routes', ri]
            const rname = str(r?.name)
            if (rname !== undefined) {
              if (routeNames.has(rname)) warn([...rpath, 'name'], 'duplicate_route_name', `route name "${rname}" is used twice in this virtual host; the admin API addresses the first`)
              routeNames.add(rname)
            }
            const action = r?.route
            if (!action || typeof action !== 'object') return
            const cluster = str(action.cluster)
            if (cluster !== undefined) checkCluster(cluster, [...rpath, 'route', 'cluster'])
            // A shadow to a cluster that does not exist is refused as Envoy refuses it (validate_clusters).
            list(action.request_mirror_policies).forEach((m, mi) => str(m?.cluster) !== undefined && checkCluster(m.cluster, [...rpath, 'route', 'request_mirror_policies', mi, 'cluster']))
            const wc = action.weighted_clusters
            if (wc && typeof wc === 'object') {
              const entries = list(wc.clusters)
              entries.forEach((c, ci) => str(c?.name) !== undefined && checkCluster(c.name, [...rpath, 'route', 'weighted_clusters', 'clusters', ci, 'name']))
              const weights = entries.map((c) => num(c?.weight))
              if (weights.some((w) => w === undefined)) return
              const sum = weights.reduce((s: number, w) => s + w!, 0)
              const total = num(wc.total_weight)
              if (total !== undefined && sum !== total)
                error([...rpath, 'route', 'weighted_clusters'], 'weights', `weighted_clusters weights add up to ${sum}, not total_weight ${total}`)
              else if (sum === 0) error([...rpath, 'route', 'weighted_clusters'], 'weights', 'weighted_clusters weights add up to 0')
            }
          })
        })
      }),
    )
  })
  return issues
}
