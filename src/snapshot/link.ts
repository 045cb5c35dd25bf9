/**
 * IR → the runtime Snapshot: matchers become predicates, regexes RegExps,
 * header values formatters, virtual hosts an index, clusters a map. No
 * config parsing, no zod, no YAML: the data plane links what the control
 * plane lowered (or what it loaded from a serialized snapshot).
 */
import type {
  ClusterIR, ForwardActionIR, ListenerIR, PathRewriteIR, RouteActionIR, RouteIR, RouteTableIR, SnapshotIR, VirtualHostIR,
} from '../compile/ir.js'
import { DEFAULT_BUFFER_LIMIT_BYTES } from '../compile/ir.js'
import type { Cluster, FilterOverride, Listener, PathRewrite, Route, RouteAction, RouteTable, Snapshot, VirtualHost } from '../compile/types.js'
import { linkCors, linkFilterOverrides, linkHttpFilter, linkRateLimits, NO_OVERRIDES } from './filters.js'
import { EMPTY_MUTATION, linkHeaderMutation } from './headers.js'
import { linkRouteMatch } from './matchers.js'
import { regexOf } from './regex.js'
import { buildVirtualHostIndex } from './virtual-hosts.js'


const NONE: readonly never[] = Object.freeze([])

/** The IR each linked snapshot was built from: what serializeSnapshot writes. */
const sources = new WeakMap<Snapshot, SnapshotIR>()
export const irOf = (snapshot: Snapshot): SnapshotIR | undefined => sources.get(snapshot)

export function linkPathRewrite(r: PathRewriteIR | undefined): PathRewrite | undefined {
  if (!r) return undefined
  return r.kind === 'prefix' ? r : { kind: 'regex', pattern: regexOf(r.regex, 'g'), substitution: r.substitution }
}

function linkForward(a: ForwardActionIR): RouteAction {
  const t = a.target
  return {
    type: 'route',
    target:
      t.kind === 'weighted'
        ? {
            kind: 'weighted',
            totalWeight: t.totalWeight,
            clusters: t.clusters.map((c) => ({
              name: c.name,
              weight: c.weight,
              requestHeaders: linkHeaderMutation(c.requestHeaders),
              responseHeaders: linkHeaderMutation(c.responseHeaders),
              hostRewrite: c.hostRewrite,
            })),
          }
        : t,
    pathRewrite: linkPathRewrite(a.pathRewrite),
    hostRewrite: a.hostRewrite,
    timeoutMs: a.timeoutMs,
    retryPolicy: a.retryPolicy
      ? { ...a.retryPolicy, retryOn: new Set(a.retryPolicy.retryOn), retriableStatusCodes: new Set(a.retryPolicy.retriableStatusCodes) }
      : undefined,
    hashPolicy: a.hashPolicy ?? NONE,
    rateLimits: linkRateLimits(a.rateLimits),
    bufferLimitBytes: a.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT_BYTES,
    clusterNotFoundStatus: a.clusterNotFoundStatus,
  }
}

function linkAction(a: RouteActionIR): RouteAction {
  if (a.type === 'route') return linkForward(a)
  if (a.type === 'redirect')
    return {
      type: 'redirect',
      scheme: a.scheme,
      host: a.host,
      port: a.port,
      path: a.path,
      pathRewrite: linkPathRewrite(a.pathRewrite),
      responseCode: a.responseCode,
      stripQuery: a.stripQuery,
    }
  return { type: 'direct_response', status: a.status, body: a.body }
}

function linkRoute(r: RouteIR, index: number, vhostOverrides: Readonly<Record<string, FilterOverride>>): Route {
  const own = linkFilterOverrides(r.filterOverrides)
  return {
    name: r.name,
    index,
    match: linkRouteMatch(r.match),
    action: linkAction(r.action),
    requestHeaders: linkHeaderMutation(r.requestHeaders),
    responseHeaders: linkHeaderMutation(r.responseHeaders),
    cors: r.cors ? linkCors(r.cors) : undefined,
    // The most specific entry wins, per filter: the route's, else its virtual host's.
    filterOverrides: own === NO_OVERRIDES ? vhostOverrides : vhostOverrides === NO_OVERRIDES ? own : { ...vhostOverrides, ...own },
    sourcePath: r.sourcePath,
  }
}

function linkVirtualHost(vh: VirtualHostIR): VirtualHost {
  const overrides = linkFilterOverrides(vh.filterOverrides)
  return {
    name: vh.name,
    domains: vh.domains,
    routes: vh.routes.map((r, i) => linkRoute(r, i, overrides)),
    requestHeaders: linkHeaderMutation(vh.requestHeaders),
    responseHeaders: linkHeaderMutation(vh.responseHeaders),
    rateLimits: linkRateLimits(vh.rateLimits),
  }
}

function linkRouteTable(rt: RouteTableIR): RouteTable {
  const virtualHosts = rt.virtualHosts.map(linkVirtualHost)
  return {
    name: rt.name,
    virtualHosts,
    findVirtualHost: buildVirtualHostIndex(virtualHosts, { stripAnyPort: rt.stripAnyPort === true, stripPort: rt.stripPort }),
    requestHeaders: linkHeaderMutation(rt.requestHeaders),
    responseHeaders: linkHeaderMutation(rt.responseHeaders),
  }
}

function linkListener(l: ListenerIR): Listener {
  return {
    name: l.name,
    address: l.address,
    port: l.port,
    statPrefix: l.statPrefix,
    routeTable: linkRouteTable(l.routeTable),
    httpFilters: l.httpFilters.map(linkHttpFilter),
    accessLogs: l.accessLogs ?? NONE,
    tracing: l.tracing,
    generateRequestId: l.generateRequestId,
  }
}

function linkCluster(c: ClusterIR): Cluster {
  return {
    name: c.name,
    type: c.type,
    lbPolicy: c.lbPolicy,
    hosts: c.hosts.map((h) => ({ ...h, localityWeight: h.localityWeight, binding: h.binding, metadata: h.metadata ?? {} })),
    connectTimeoutMs: c.connectTimeoutMs,
    tls: c.tls,
    resilience: {
      healthChecks: c.healthChecks ?? NONE,
      outlier: c.outlier,
      circuitBreakers: { ...c.circuitBreakers, retryBudget: c.circuitBreakers.retryBudget },
      healthyPanicThreshold: c.healthyPanicThreshold,
      overprovisioningFactor: c.overprovisioningFactor,
    },
    lb: c.lb,
    hash: c.hash,
  }
}

/** A frozen runtime Snapshot from its IR. */
export function linkSnapshot(ir: SnapshotIR): Snapshot {
  const clusters = new Map<string, Cluster>()
  for (const c of ir.clusters) clusters.set(c.name, linkCluster(c))
  const snapshot: Snapshot = deepFreeze({
    version: ir.version,
    hash: ir.hash,
    listeners: ir.listeners.map(linkListener),
    clusters,
    createdAt: ir.createdAt,
    serviceCluster: ir.serviceCluster,
  })
  sources.set(snapshot, ir)
  return snapshot
}

/**
 * Freeze a snapshot all the way down, so no stage can patch it in place.
 * An object is frozen before its children are visited, so "already frozen"
 * doubles as "already visited" (shared and cyclic references end there)
 * without a WeakSet lookup per node. Maps and Sets cannot be frozen; a Map's values are.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof RegExp || value instanceof Set || Object.isFrozen(value)) return value
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v)
    return value
  }
  Object.freeze(value)
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) deepFreeze(value[i])
  else for (const k of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[k])
  return value
}

export { EMPTY_MUTATION }
