/**
 * Resource-level edits of the v3 JSON config: pure functions from the current
 * document to the next one (a fresh copy; the input is never changed). The
 * config authority validates and compiles the result whole before storing it,
 * so an edit only has to find its place in the document.
 */

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

export interface EndpointRef {
  readonly address: string
  readonly port: number
  readonly weight?: number | undefined
}

/** An edit, as sent to the config authority (structured-clonable). */
export type EditOp =
  | { readonly kind: 'replace'; readonly config: unknown }
  | { readonly kind: 'put_cluster'; readonly name: string; readonly cluster: Json }
  | { readonly kind: 'delete_cluster'; readonly name: string }
  | { readonly kind: 'patch_endpoints'; readonly name: string; readonly add: readonly EndpointRef[]; readonly remove: readonly EndpointRef[] }
  | { readonly kind: 'put_virtual_host'; readonly listener: string | undefined; readonly name: string; readonly virtualHost: Json }
  | { readonly kind: 'delete_virtual_host'; readonly listener: string | undefined; readonly name: string }
  | {
      readonly kind: 'put_route'
      readonly listener: string | undefined
      readonly virtualHost: string
      readonly name: string
      readonly route: Json
      readonly before?: string | undefined
      readonly after?: string | undefined
    }
  | { readonly kind: 'delete_route'; readonly listener: string | undefined; readonly virtualHost: string; readonly name: string }

export interface EditFailure {
  readonly ok: false
  readonly status: 400 | 404 | 409
  readonly code: string
  readonly message: string
  readonly details?: readonly unknown[]
}
export type EditResult = { readonly ok: true; readonly config: Json; readonly created: boolean } | EditFailure

const fail = (status: EditFailure['status'], code: string, message: string, details?: unknown[]): EditFailure => ({ ok: false, status, code, message, ...(details ? { details } : {}) })

export function applyEdit(current: unknown, op: EditOp): EditResult {
  if (op.kind === 'replace') return isObject(op.config) ? { ok: true, config: structuredClone(op.config), created: false } : fail(400, 'invalid_config', 'the config must be a mapping')
  const doc = structuredClone(isObject(current) ? current : {})
  const sr = (doc.static_resources = isObject(doc.static_resources) ? doc.static_resources : {})
  const clusters = (sr.clusters = Array.isArray(sr.clusters) ? sr.clusters : []) as Json[]
  switch (op.kind) {
    case 'put_cluster': {
      const i = clusters.findIndex((c) => c.name === op.name)
      const cluster = { ...op.cluster, name: op.name }
      if (i >= 0) clusters[i] = cluster
      else clusters.push(cluster)
      return { ok: true, config: doc, created: i < 0 }
    }
    case 'delete_cluster': {
      const i = clusters.findIndex((c) => c.name === op.name)
      if (i < 0) return fail(404, 'not_found', `no cluster named "${op.name}"`)
      const users = routesUsing(doc, op.name)
      if (users.length) return fail(409, 'cluster_in_use', `cluster "${op.name}" is used by ${users.length} route(s): ${users.join(', ')}`, users)
      clusters.splice(i, 1)
      return { ok: true, config: doc, created: false }
    }
    case 'patch_endpoints': {
      const cluster = clusters.find((c) => c.name === op.name)
      if (!cluster) return fail(404, 'not_found', `no cluster named "${op.name}"`)
      return patchEndpoints(doc, cluster, op.add, op.remove)
    }
    default:
      return editRouteConfig(doc, op)
  }
}

function patchEndpoints(doc: Json, cluster: Json, add: readonly EndpointRef[], remove: readonly EndpointRef[]): EditResult {
  const la = (cluster.load_assignment = isObject(cluster.load_assignment) ? cluster.load_assignment : { cluster_name: cluster.name })
  const localities = (la.endpoints = Array.isArray(la.endpoints) ? la.endpoints : []) as Json[]
  const same = (e: Json, ref: EndpointRef) => {
    const sa = (e.endpoint as { address?: { socket_address?: { address?: unknown; port_value?: unknown } } } | undefined)?.address?.socket_address
    return sa?.address === ref.address && sa.port_value === ref.port
  }
  const missing: string[] = []
  for (const ref of remove) {
    let found = false
    for (const loc of localities) {
      const eps = Array.isArray(loc.lb_endpoints) ? (loc.lb_endpoints as Json[]) : []
      const kept = eps.filter((e) => !same(e, ref))
      found ||= kept.length !== eps.length
      loc.lb_endpoints = kept
    }
    if (!found) missing.push(`${ref.address}:${ref.port}`)
  }
  if (missing.length) return fail(404, 'not_found', `cluster "${String(cluster.name)}" has no endpoint ${missing.join(', ')}`, missing)
  if (add.length && localities.length === 0) localities.push({ lb_endpoints: [] })
  const first = localities[0]
  for (const ref of add) {
    const eps = (first!.lb_endpoints = Array.isArray(first!.lb_endpoints) ? first!.lb_endpoints : []) as Json[]
    if (localities.some((loc) => ((loc.lb_endpoints as Json[] | undefined) ?? []).some((e) => same(e, ref)))) continue
    eps.push({
      endpoint: { address: { socket_address: { address: ref.address, port_value: ref.port } } },
      ...(ref.weight !== undefined ? { load_balancing_weight: ref.weight } : {}),
    })
  }
  return { ok: true, config: doc, created: false }
}

/** The inline route_config of the served listener's HTTP connection manager. */
export function routeConfigOf(doc: unknown, listenerName: string | undefined): Json | string {
  const listeners = (isObject(doc) && isObject(doc.static_resources) && Array.isArray(doc.static_resources.listeners) ? doc.static_resources.listeners : []) as Json[]
  const listener = listenerName ? listeners.find((l) => l.name === listenerName) : listeners[0]
  if (!listener) return listenerName ? `no listener named "${listenerName}"` : 'the config has no listeners'
  const chain = Array.isArray(listener.filter_chains) ? (listener.filter_chains[0] as Json | undefined) : undefined
  const hcm = Array.isArray(chain?.filters) ? ((chain.filters[0] as Json | undefined)?.typed_config as Json | undefined) : undefined
  if (!isObject(hcm)) return `listener "${String(listener.name)}" has no HTTP connection manager`
  if (!isObject(hcm.route_config)) return `listener "${String(listener.name)}" has no inline route_config`
  return hcm.route_config
}

function editRouteConfig(doc: Json, op: Exclude<EditOp, { kind: 'replace' | 'put_cluster' | 'delete_cluster' | 'patch_endpoints' }>): EditResult {
  const rc = routeConfigOf(doc, op.listener)
  if (typeof rc === 'string') return fail(404, 'not_found', rc)
  const vhosts = (rc.virtual_hosts = Array.isArray(rc.virtual_hosts) ? rc.virtual_hosts : []) as Json[]
  if (op.kind === 'put_virtual_host' || op.kind === 'delete_virtual_host') {
    const i = vhosts.findIndex((v) => v.name === op.name)
    if (op.kind === 'delete_virtual_host') {
      if (i < 0) return fail(404, 'not_found', `no virtual host named "${op.name}"`)
      vhosts.splice(i, 1)
      return { ok: true, config: doc, created: false }
    }
    const vh = { ...op.virtualHost, name: op.name }
    if (i >= 0) vhosts[i] = vh
    else vhosts.push(vh)
    return { ok: true, config: doc, created: i < 0 }
  }
  const vh = vhosts.find((v) => v.name === op.virtualHost)
  if (!vh) return fail(404, 'not_found', `no virtual host named "${op.virtualHost}"`)
  const routes = (vh.routes = Array.isArray(vh.routes) ? vh.routes : []) as Json[]
  const i = routes.findIndex((r) => r.name === op.name)
  if (op.kind === 'delete_route') {
    if (i < 0) return fail(404, 'not_found', `virtual host "${op.virtualHost}" has no route named "${op.name}"`)
    routes.splice(i, 1)
    return { ok: true, config: doc, created: false }
  }
  const route = { ...op.route, name: op.name }
  if (op.before !== undefined || op.after !== undefined) {
    // Order decides matching (first match wins), so a placed route moves even if it existed.
    if (i >= 0) routes.splice(i, 1)
    const anchorName = (op.before ?? op.after)!
    const at = routes.findIndex((r) => r.name === anchorName)
    if (at < 0) return fail(400, 'invalid_request', `virtual host "${op.virtualHost}" has no route named "${anchorName}" to place the route ${op.before !== undefined ? 'before' : 'after'}`)
    routes.splice(op.before !== undefined ? at : at + 1, 0, route)
  } else if (i >= 0) routes[i] = route
  else routes.push(route)
  return { ok: true, config: doc, created: i < 0 }
}

/** `listener/virtual_host/route` of every route whose action names the cluster (directly or weighted). */
export function routesUsing(doc: unknown, cluster: string): string[] {
  const out: string[] = []
  const listeners = (isObject(doc) && isObject(doc.static_resources) && Array.isArray(doc.static_resources.listeners) ? doc.static_resources.listeners : []) as Json[]
  for (const [li, l] of listeners.entries()) {
    const rc = routeConfigOf(doc, typeof l.name === 'string' ? l.name : undefined)
    if (typeof rc === 'string' || (typeof l.name !== 'string' && li > 0)) continue
    for (const vh of (Array.isArray(rc.virtual_hosts) ? rc.virtual_hosts : []) as Json[]) {
      for (const [ri, r] of ((Array.isArray(vh.routes) ? vh.routes : []) as Json[]).entries()) {
        const action = r.route as { cluster?: unknown; weighted_clusters?: { clusters?: { name?: unknown }[] } } | undefined
        const uses = action?.cluster === cluster || (action?.weighted_clusters?.clusters ?? []).some((w) => w.name === cluster)
        if (uses) out.push(`${String(l.name ?? `listener_${li}`)}/${String(vh.name)}/${typeof r.name === 'string' ? r.name : `#${ri}`}`)
      }
    }
  }
  return out
}

/** Find a named resource in the v3 JSON, for the resource GETs. */
export function findCluster(doc: unknown, name: string): Json | undefined {
  const sr = isObject(doc) && isObject(doc.static_resources) ? doc.static_resources : {}
  return ((Array.isArray(sr.clusters) ? sr.clusters : []) as Json[]).find((c) => c.name === name)
}

export function findVirtualHost(doc: unknown, listener: string | undefined, name: string): Json | undefined {
  const rc = routeConfigOf(doc, listener)
  if (typeof rc === 'string') return undefined
  return ((Array.isArray(rc.virtual_hosts) ? rc.virtual_hosts : []) as Json[]).find((v) => v.name === name)
}

export function findRoute(doc: unknown, listener: string | undefined, vh: string, name: string): Json | undefined {
  const v = findVirtualHost(doc, listener, vh)
  return ((Array.isArray(v?.routes) ? v.routes : []) as Json[]).find((r) => r.name === name)
}
