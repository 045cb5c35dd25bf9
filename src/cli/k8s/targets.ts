/**
 * Which clusters of a node config take their hosts from Kubernetes, and
 * writing those hosts into the config. The convention (docs/kubernetes.md):
 *
 *   - metadata: { filter_metadata: { edgevoy: { k8s: "namespace/service:port" } } }  on the cluster, or
 *   - the cluster's name itself is "namespace/service:port".
 *
 * `port` is the Service port's name (as the EndpointSlice names it) or the
 * pod's port number; `namespace/` may be left out (k8s-sync's namespace).
 * The hosts go into the cluster's `load_assignment`, which edgevoy's xDS
 * server serves over EDS (and inline in CDS).
 */
import type { PodEndpoint } from './endpoints.js'

export interface K8sRef {
  readonly namespace: string
  readonly service: string
  readonly port: string
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

// DNS-1123 labels for namespace and Service; the port a number or an IANA_SVC_NAME-ish name.
const REF = /^(?:([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\/)?([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?):([0-9]{1,5}|[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)$/

export function parseRef(text: string, defaultNamespace: string): K8sRef | undefined {
  const m = REF.exec(text)
  return m ? { namespace: m[1] ?? defaultNamespace, service: m[2]!, port: m[3]! } : undefined
}

export const refKey = (r: K8sRef) => `${r.namespace}/${r.service}`
export const refText = (r: K8sRef) => `${r.namespace}/${r.service}:${r.port}`

const clustersOf = (config: unknown): Json[] => {
  const sr = isObject(config) && isObject(config.static_resources) ? config.static_resources : {}
  return Array.isArray(sr.clusters) ? sr.clusters.filter(isObject) : []
}

/**
 * The clusters of a node config that name a Kubernetes Service, by cluster
 * name. A malformed `edgevoy.k8s` value is an error (never silently ignored).
 */
export function k8sClusters(config: unknown, defaultNamespace: string): Map<string, K8sRef> {
  const out = new Map<string, K8sRef>()
  for (const c of clustersOf(config)) {
    const name = String(c.name)
    const meta = isObject(c.metadata) && isObject(c.metadata.filter_metadata) ? c.metadata.filter_metadata.edgevoy : undefined
    const declared = isObject(meta) ? meta.k8s : undefined
    if (declared !== undefined) {
      const ref = typeof declared === 'string' ? parseRef(declared, defaultNamespace) : undefined
      if (!ref) throw new Error(`cluster "${name}": metadata.filter_metadata.edgevoy.k8s must be "namespace/service:port", got ${JSON.stringify(declared)}`)
      out.set(name, ref)
      continue
    }
    const byName = parseRef(name, defaultNamespace)
    if (byName && name.includes('/')) out.set(name, byName)
  }
  return out
}

/** The hosts a cluster's load_assignment lists now (sorted like usableEndpoints). */
export function currentEndpoints(config: unknown, cluster: string): PodEndpoint[] | undefined {
  const c = clustersOf(config).find((x) => x.name === cluster)
  if (!c) return undefined
  const la = isObject(c.load_assignment) ? c.load_assignment : {}
  const found: PodEndpoint[] = []
  for (const locality of Array.isArray(la.endpoints) ? la.endpoints.filter(isObject) : [])
    for (const lb of Array.isArray(locality.lb_endpoints) ? locality.lb_endpoints.filter(isObject) : []) {
      const sa = isObject(lb.endpoint) && isObject(lb.endpoint.address) ? lb.endpoint.address.socket_address : undefined
      if (isObject(sa)) found.push({ address: String(sa.address), port: Number(sa.port_value) })
    }
  return found.sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1))
}

export const sameEndpoints = (a: readonly PodEndpoint[], b: readonly PodEndpoint[]) =>
  a.length === b.length && a.every((e, i) => e.address === b[i]!.address && e.port === b[i]!.port)

/** A copy of the config with the cluster's load_assignment listing exactly `endpoints` (its other fields kept). */
export function withEndpoints(config: unknown, cluster: string, endpoints: readonly PodEndpoint[]): unknown {
  const copy = structuredClone(config) as Json
  const c = clustersOf(copy).find((x) => x.name === cluster)
  if (!c) throw new Error(`the node config has no cluster "${cluster}" any more`)
  const la = isObject(c.load_assignment) ? c.load_assignment : {}
  c.load_assignment = {
    ...la,
    cluster_name: cluster,
    endpoints: endpoints.length === 0 ? [] : [{ lb_endpoints: endpoints.map((e) => ({ endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } } })) }],
  }
  return copy
}
