/**
 * A v3 bootstrap (the JSON `validateConfig` hands back) split into xDS v3
 * resources, and xDS resources assembled back into a bootstrap.
 *
 * Serving side: listeners keep their inline route_config (a sidecar needs no
 * RDS round trip), every named route_config is *also* served over RDS, and
 * clusters keep their inline load_assignment (valid CDS for STATIC/STRICT_DNS)
 * while each one's endpoints are also served over EDS.
 * Client side: EDS clusters get their ClusterLoadAssignment inlined, HCMs that
 * use `rds` get the RouteConfiguration inlined, so the result is a static
 * bootstrap the compiler already understands.
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#resource-types
 */

export const TYPE_URLS = {
  listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  clusters: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const

/** The four REST endpoints: `POST /v3/discovery:<kind>`. */
export type XdsKind = keyof typeof TYPE_URLS
export const XDS_KINDS = Object.keys(TYPE_URLS) as XdsKind[]

/** CDS and LDS are wildcard subscriptions: empty resource_names means "all". */
export const WILDCARD_KINDS: ReadonlySet<XdsKind> = new Set(['listeners', 'clusters'])

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'
const HCM_NAMES = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager'])

type Json = Record<string, unknown>
/** Resources of one kind by name, without `@type` (it is added when packed into an Any). */
export type ResourceSet = Readonly<Record<XdsKind, ReadonlyMap<string, Json>>>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : [])
const clone = <T>(v: T): T => structuredClone(v)

/** The HCM configs of a listener (the objects themselves, so callers may rewrite them). */
export function connectionManagers(listener: Json): Json[] {
  const chains = [...list(listener.filter_chains), ...(isObject(listener.default_filter_chain) ? [listener.default_filter_chain] : [])]
  return chains.flatMap((chain) => list(chain.filters)).flatMap((f) => {
    const tc = f.typed_config
    if (!isObject(tc)) return []
    return tc['@type'] === HCM_TYPE || (typeof f.name === 'string' && HCM_NAMES.has(f.name)) ? [tc] : []
  })
}

/** A v3 bootstrap's static resources as the four xDS resource kinds. */
export function bootstrapToResources(bootstrap: unknown): ResourceSet {
  const sr = isObject(bootstrap) && isObject(bootstrap.static_resources) ? bootstrap.static_resources : {}
  const listeners = new Map<string, Json>()
  const routes = new Map<string, Json>()
  const clusters = new Map<string, Json>()
  const endpoints = new Map<string, Json>()
  for (const l of list(sr.listeners)) {
    if (typeof l.name !== 'string') continue
    listeners.set(l.name, clone(l))
    for (const hcm of connectionManagers(l)) {
      const rc = hcm.route_config
      if (isObject(rc) && typeof rc.name === 'string' && rc.name !== '') routes.set(rc.name, clone(rc))
    }
  }
  for (const c of list(sr.clusters)) {
    if (typeof c.name !== 'string') continue
    clusters.set(c.name, clone(c))
    if (isObject(c.load_assignment)) endpoints.set(c.name, { ...clone(c.load_assignment), cluster_name: c.name })
  }
  return { listeners, routes, clusters, endpoints }
}

/** Resources as a DiscoveryResponse carries them: proto3 JSON `Any` with `@type`. */
export const packAny = (kind: XdsKind, resource: Json): Json => ({ '@type': TYPE_URLS[kind], ...resource })

/** A DiscoveryResponse's `Any` back to the bare resource; throws on a foreign `@type`. */
export function unpackAny(kind: XdsKind, any: unknown): Json {
  if (!isObject(any)) throw new Error(`a ${kind} resource is not an object`)
  const { '@type': type, ...resource } = any
  if (type !== TYPE_URLS[kind]) throw new Error(`a ${kind} resource has @type ${JSON.stringify(type)}, expected ${TYPE_URLS[kind]}`)
  return resource
}

/** Fetched xDS resources (bare, by kind) assembled into a static bootstrap. */
export interface FetchedResources {
  readonly listeners: readonly Json[]
  readonly routes: readonly Json[]
  readonly clusters: readonly Json[]
  readonly endpoints: readonly Json[]
}

/** The route config names the listeners ask RDS for. */
export function rdsNames(listeners: readonly Json[]): string[] {
  return listeners.flatMap((l) => connectionManagers(l)).flatMap((hcm) => {
    const name = isObject(hcm.rds) ? hcm.rds.route_config_name : undefined
    return typeof name === 'string' ? [name] : []
  })
}

/** The ClusterLoadAssignment names EDS clusters ask for (`eds_cluster_config.service_name`, else the cluster name). */
export function edsNames(clusters: readonly Json[]): string[] {
  return clusters.filter((c) => String(c.type ?? '').toUpperCase() === 'EDS').map(edsNameOf)
}
const edsNameOf = (c: Json) => {
  const service = isObject(c.eds_cluster_config) ? c.eds_cluster_config.service_name : undefined
  return typeof service === 'string' && service !== '' ? service : String(c.name)
}

/**
 * The seed bootstrap (with dynamic_resources and the xds cluster) plus what
 * the control plane served, as one static bootstrap. Static resources come
 * first; a dynamic resource with a static one's name is an error in Envoy too
 * (duplicate names fail validation here).
 */
export function resourcesToBootstrap(seed: Json, fetched: FetchedResources): Json {
  const routes = new Map(fetched.routes.map((r) => [String(r.name), r]))
  const assignments = new Map(fetched.endpoints.map((e) => [String(e.cluster_name), e]))
  const sr = isObject(seed.static_resources) ? seed.static_resources : {}
  // Static listeners using rds and static EDS clusters are filled in the same way as dynamic ones.
  const withRoutes = (l: Json) => {
    const copy = clone(l)
    for (const hcm of connectionManagers(copy)) {
      if (!isObject(hcm.rds)) continue
      const name = String(hcm.rds.route_config_name)
      const rc = routes.get(name)
      // Envoy keeps such a listener warming until RDS answers; here the whole update waits.
      if (!rc) throw new Error(`listener "${String(l.name)}" uses RDS route_config_name "${name}", which the control plane did not serve`)
      delete hcm.rds
      // A route table from RDS is not validated against the clusters unless it
      // says so: validate_clusters defaults to false there (Envoy's RdsRouteConfigProviderImpl).
      hcm.route_config = 'validate_clusters' in rc ? clone(rc) : { ...clone(rc), validate_clusters: false }
    }
    return copy
  }
  const withEndpoints = (c: Json) => {
    if (String(c.type ?? '').toUpperCase() !== 'EDS' || isObject(c.load_assignment)) return clone(c)
    const cla = assignments.get(edsNameOf(c))
    if (!cla) throw new Error(`EDS cluster "${String(c.name)}" has no ClusterLoadAssignment "${edsNameOf(c)}" from the control plane`)
    return { ...clone(c), load_assignment: { ...clone(cla), cluster_name: c.name } }
  }
  return {
    ...clone(seed),
    static_resources: {
      ...clone(sr),
      listeners: [...list(sr.listeners), ...fetched.listeners].map(withRoutes),
      clusters: [...list(sr.clusters), ...fetched.clusters].map(withEndpoints),
    },
  }
}
