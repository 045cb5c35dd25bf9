/**
 * EndpointSlices (discovery.k8s.io/v1) → the hosts an Envoy cluster should
 * balance over. An endpoint is used when it is ready (`conditions.ready`
 * absent counts as true) and not terminating: a terminating pod leaves the set
 * at once, so it gets no new requests while it drains (Envoy does the same
 * with a host removed by EDS: in-flight requests finish, new ones go elsewhere).
 * Only the first address of an endpoint is used, as the API documents
 * ("consumers must use the first element"). FQDN slices are skipped.
 * https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions
 * https://kubernetes.io/docs/reference/kubernetes-api/service-resources/endpoint-slice-v1/
 */

export interface EndpointSlice {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string; readonly labels?: Record<string, string> }
  readonly addressType?: string
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[]
    readonly conditions?: { readonly ready?: boolean | null; readonly serving?: boolean | null; readonly terminating?: boolean | null }
    readonly zone?: string
    readonly targetRef?: { readonly name?: string }
  }[]
  readonly ports?: readonly { readonly name?: string; readonly port?: number; readonly protocol?: string }[]
}

export interface PodEndpoint {
  readonly address: string
  readonly port: number
}

/**
 * The usable endpoints of a Service's slices for one port, sorted (so equal
 * sets compare equal). `port` is the port's name (the Service port's name) or
 * its number (the pod's port).
 */
export function usableEndpoints(slices: Iterable<EndpointSlice>, port: string): PodEndpoint[] {
  const byNumber = /^\d+$/.test(port)
  const seen = new Map<string, PodEndpoint>()
  for (const slice of slices) {
    if (slice.addressType !== undefined && slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue
    const p = (slice.ports ?? []).find((sp) => (byNumber ? sp.port === Number(port) : (sp.name ?? '') === port))
    if (!p || typeof p.port !== 'number') continue
    for (const e of slice.endpoints ?? []) {
      const address = e.addresses?.[0]
      if (!address) continue
      if (e.conditions?.ready === false || e.conditions?.terminating === true) continue
      seen.set(`${address}:${p.port}`, { address, port: p.port })
    }
  }
  return [...seen.values()].sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1))
}
