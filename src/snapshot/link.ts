/**
 * IR → the runtime Snapshot: matchers become predicates, regexes RegExps,
 * header values formatters, virtual hosts an index, clusters a map. No
 * config parsing, no zod, no YAML: the data plane links what the control
 * plane lowered (or what it loaded from a serialized snapshot).
 */
import type {
  ClusterIR, ForwardActionIR, ListenerIR, PathRewriteIR, RetryPolicyIR, RouteActionIR, RouteIR, RouteTableIR, SnapshotIR, VirtualHostIR,
} from '../compile/ir.js'
import {
  DEFAULT_BUFFER_LIMIT_BYTES, DEFAULT_CIRCUIT_BREAKERS, DEFAULT_STREAM_IDLE_TIMEOUT_MS, DEFAULT_CLUSTER_LB, DEFAULT_HEALTHY_PANIC_THRESHOLD, DEFAULT_OVERPROVISIONING_FACTOR, DEFAULT_ROUTE_TIMEOUT_MS,
} from '../compile/ir.js'
import type { Cluster, FilterOverride, Listener, PathRewrite, RetryPolicy, Route, RouteAction, RouteTable, Snapshot, VirtualHost } from '../compile/types.js'
import { linkCors, linkFilterOverrides, linkHttpFilter, linkRateLimits, NO_OVERRIDES } from './filters.js'
import { EMPTY_MUTATION, linkHeaderMutation } from './headers.js'
import { linkRouteMatch } from './matchers.js'
import { Re2Regex } from '../regex/index.js'
import { regexOf } from './regex.js'
import { buildVirtualHostIndex } from './virtual-hosts.js'


const NONE: readonly never[] = Object.freeze([])
const NO_LOCALITY = Object.freeze({})
const NO_METADATA = Object.freeze({})
const NO_UPGRADES = Object.freeze({})

/**
 * What serializeSnapshot writes for each linked snapshot: its IR, or the
 * serialized text it was loaded from (the data plane keeps the flat string,
 * not a second object graph, so the IR can be collected).
 */
const sources = new WeakMap<Snapshot, SnapshotIR | string>()
export const sourceOf = (snapshot: Snapshot): SnapshotIR | string | undefined => sources.get(snapshot)

export function linkPathRewrite(r: PathRewriteIR | undefined): PathRewrite | undefined {
  if (!r) return undefined
  return r.kind === 'prefix' ? r : { kind: 'regex', pattern: regexOf(r.regex), substitution: r.substitution }
}

/** What the links of one snapshot share. */
type ClusterTarget = ForwardActionIR['target'] & { kind: 'cluster' }

interface Shared {
  readonly retryPolicies: readonly RetryPolicy[]
  /** `{ kind: 'cluster', name }` targets, one per cluster name: thousands of routes name the same few clusters. */
  readonly clusterTargets: Map<string, ClusterTarget>
  /** Linked actions by IR action: a loaded snapshot's routes share the actions its text wrote once. */
  readonly actions: Map<RouteActionIR, RouteAction>
  /** The route table's ignore_path_parameters_in_path_matching, for its routes' path matchers. */
  readonly ignorePathParameters?: boolean
}

const linkRetryPolicy = (p: RetryPolicyIR): RetryPolicy => ({ ...p, retryOn: new Set(p.retryOn), retriableStatusCodes: new Set(p.retriableStatusCodes) })

function clusterTarget(t: ClusterTarget, shared: Shared): ClusterTarget {
  let hit = shared.clusterTargets.get(t.name)
  if (!hit) shared.clusterTargets.set(t.name, (hit = Object.freeze(t)))
  return hit
}

/** Frozen as built, children included, so the snapshot's deepFreeze stops at the action. */
function linkForward(a: ForwardActionIR, shared: Shared): RouteAction {
  const t = a.target
  const action: RouteAction = {
    type: 'route',
    target:
      t.kind === 'cluster'
        ? clusterTarget(t, shared)
        : t.kind === 'weighted'
        ? deepFreeze({
            kind: 'weighted',
            totalWeight: t.totalWeight,
            clusters: t.clusters.map((c) => ({
              name: c.name,
              weight: c.weight,
              requestHeaders: linkHeaderMutation(c.requestHeaders),
              responseHeaders: linkHeaderMutation(c.responseHeaders),
              hostRewrite: c.hostRewrite,
              clusterHeader: c.clusterHeader,
            })),
            headerName: t.headerName,
            useHashPolicy: t.useHashPolicy === true,
          })
        : deepFreeze(t),
    pathRewrite: deepFreeze(linkPathRewrite(a.pathRewrite)),
    hostRewrite: a.hostRewrite,
    hostRewriteHeader: a.hostRewriteHeader,
    hostRewritePathRegex: a.hostRewritePathRegex && Object.freeze({ pattern: regexOf(a.hostRewritePathRegex.regex), substitution: a.hostRewritePathRegex.substitution }),
    timeoutMs: a.timeoutMs ?? DEFAULT_ROUTE_TIMEOUT_MS,
    retryPolicy: a.retryPolicy !== undefined ? shared.retryPolicies[a.retryPolicy] : undefined,
    hashPolicy: a.hashPolicy ? deepFreeze(a.hashPolicy) : NONE,
    rateLimits: deepFreeze(linkRateLimits(a.rateLimits)),
    bufferLimitBytes: a.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT_BYTES,
    clusterNotFoundStatus: a.clusterNotFoundStatus ?? 503,
    idleTimeoutMs: a.idleTimeoutMs,
    maxStreamDuration: deepFreeze(a.maxStreamDuration),
    mirrors: a.mirrors ? deepFreeze(a.mirrors) : NONE,
    upgrades: a.upgrades ? deepFreeze(a.upgrades) : NO_UPGRADES,
  }
  return Object.freeze(action)
}

function linkAction(a: RouteActionIR, shared: Shared): RouteAction {
  if (a.type === 'route') return linkForward(a, shared)
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

function sharedAction(a: RouteActionIR, shared: Shared): RouteAction {
  let linked = shared.actions.get(a)
  if (!linked) shared.actions.set(a, (linked = deepFreeze(linkAction(a, shared))))
  return linked
}

function linkRoute(r: RouteIR, index: number, vh: { overrides: Readonly<Record<string, FilterOverride>> }, shared: Shared): Route {
  const own = linkFilterOverrides(r.filterOverrides)
  const vhostOverrides = vh.overrides
  // Frozen as built, children included (deepFreeze returns at once for what is already frozen):
  // the snapshot's deepFreeze then stops at each route.
  return Object.freeze({
    name: r.name,
    index,
    match: linkRouteMatch(r.match, { ignorePathParameters: shared.ignorePathParameters === true }),
    action: sharedAction(r.action, shared),
    requestHeaders: deepFreeze(linkHeaderMutation(r.requestHeaders)),
    responseHeaders: deepFreeze(linkHeaderMutation(r.responseHeaders)),
    cors: r.cors ? deepFreeze(linkCors(r.cors)) : undefined,
    // The most specific entry wins, per filter: the route's, else its virtual host's.
    filterOverrides: deepFreeze(own === NO_OVERRIDES ? vhostOverrides : vhostOverrides === NO_OVERRIDES ? own : { ...vhostOverrides, ...own }),
  })
}

function linkVirtualHost(vh: VirtualHostIR, shared: Shared): VirtualHost {
  const context = { overrides: linkFilterOverrides(vh.filterOverrides) }
  return {
    name: vh.name,
    domains: vh.domains,
    routes: vh.routes.map((r, i) => linkRoute(r, i, context, shared)),
    requestHeaders: linkHeaderMutation(vh.requestHeaders),
    responseHeaders: linkHeaderMutation(vh.responseHeaders),
    rateLimits: linkRateLimits(vh.rateLimits),
    requireTls: vh.requireTls ?? 'NONE',
  }
}

function linkRouteTable(rt: RouteTableIR, snapshotShared: Shared): RouteTable {
  const shared: Shared = rt.ignorePathParameters ? { ...snapshotShared, ignorePathParameters: true } : snapshotShared
  const virtualHosts = rt.virtualHosts.map((vh) => linkVirtualHost(vh, shared))
  return {
    name: rt.name,
    virtualHosts,
    findVirtualHost: buildVirtualHostIndex(virtualHosts, { stripAnyPort: rt.stripAnyPort === true, stripPort: rt.stripPort }),
    requestHeaders: linkHeaderMutation(rt.requestHeaders),
    responseHeaders: linkHeaderMutation(rt.responseHeaders),
    internalOnlyHeaders: rt.internalOnlyHeaders ?? NONE,
    mostSpecificHeaderMutationsWins: rt.mostSpecificHeaderMutationsWins === true,
    ignorePathParameters: rt.ignorePathParameters === true,
  }
}

function linkListener(l: ListenerIR, shared: Shared): Listener {
  return {
    name: l.name,
    address: l.address,
    port: l.port,
    statPrefix: l.statPrefix,
    routeTable: linkRouteTable(l.routeTable, shared),
    httpFilters: l.httpFilters.map(linkHttpFilter),
    accessLogs: l.accessLogs ?? NONE,
    tracing: l.tracing,
    generateRequestId: l.generateRequestId,
    downstream: l.downstream,
    streamIdleTimeoutMs: l.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    requestTimeoutMs: l.requestTimeoutMs ?? 0,
    maxStreamDurationMs: l.maxStreamDurationMs ?? 0,
    upgrades: l.upgrades ?? NO_UPGRADES,
  }
}

function linkCluster(c: ClusterIR): Cluster {
  return {
    name: c.name,
    type: c.type,
    lbPolicy: c.lbPolicy,
    hosts: c.hosts.map((h) => ({
      ...h,
      weight: h.weight ?? 1,
      priority: h.priority ?? 0,
      locality: h.locality ?? NO_LOCALITY,
      localityWeight: h.localityWeight,
      configuredHealth: h.configuredHealth ?? 'UNKNOWN',
      binding: h.binding,
      metadata: h.metadata ?? NO_METADATA,
    })),
    connectTimeoutMs: c.connectTimeoutMs,
    tls: c.tls,
    resilience: {
      healthChecks: c.healthChecks ?? NONE,
      outlier: c.outlier,
      circuitBreakers: { ...(c.circuitBreakers ?? DEFAULT_CIRCUIT_BREAKERS), retryBudget: c.circuitBreakers?.retryBudget },
      healthyPanicThreshold: c.healthyPanicThreshold ?? DEFAULT_HEALTHY_PANIC_THRESHOLD,
      overprovisioningFactor: c.overprovisioningFactor ?? DEFAULT_OVERPROVISIONING_FACTOR,
    },
    lb: c.lb ?? DEFAULT_CLUSTER_LB,
    hash: c.hash,
  }
}

/** A frozen runtime Snapshot from its IR (`text`: the serialized form it was read from, if any). */
export function linkSnapshot(ir: SnapshotIR, text?: string): Snapshot {
  const clusters = new Map<string, Cluster>()
  for (const c of ir.clusters) clusters.set(c.name, linkCluster(c))
  const shared: Shared = { retryPolicies: deepFreeze((ir.retryPolicies ?? []).map(linkRetryPolicy)), clusterTargets: new Map(), actions: new Map() }
  const snapshot: Snapshot = deepFreeze({
    version: ir.version,
    hash: ir.hash,
    listeners: ir.listeners.map((l) => linkListener(l, shared)),
    clusters,
    createdAt: ir.createdAt,
    serviceCluster: ir.serviceCluster,
  })
  sources.set(snapshot, text ?? ir)
  return snapshot
}

/**
 * Freeze a snapshot all the way down, so no stage can patch it in place.
 * An object is frozen before its children are visited, so "already frozen"
 * doubles as "already visited" (shared and cyclic references end there)
 * without a WeakSet lookup per node. Maps and Sets cannot be frozen; a Map's values are.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof RegExp || value instanceof Set || value instanceof Re2Regex || Object.isFrozen(value)) return value
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
