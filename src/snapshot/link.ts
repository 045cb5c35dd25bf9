/**
 * IR → the runtime Snapshot: matchers become predicates, regexes RegExps,
 * header values formatters, virtual hosts an index, clusters a map. No
 * config parsing, no zod, no YAML: the data plane links what the control
 * plane lowered (or what it loaded from a serialized snapshot).
 */
import type {
  ClusterIR, HostIR, EncodedListenerIR, EncodedRouteTableIR, EncodedSnapshotIR, EncodedVirtualHostIR, ForwardActionIR, PathRewriteIR, RetryPolicyIR, RouteActionIR, RouteColumnsIR, RoutePoolsIR,
} from '../compile/ir.js'
import {
  ROUTE_PATH_KINDS, DEFAULT_BUFFER_LIMIT_BYTES, DEFAULT_CIRCUIT_BREAKERS, DEFAULT_STREAM_IDLE_TIMEOUT_MS, DEFAULT_CLUSTER_LB, DEFAULT_HEALTHY_PANIC_THRESHOLD, DEFAULT_OVERPROVISIONING_FACTOR, DEFAULT_ROUTE_TIMEOUT_MS,
} from '../compile/ir.js'
import type { Cluster, FilterOverride, Host, Listener, PathRewrite, RetryPolicy, Route, RouteAction, RouteTable, Snapshot, VirtualHost } from '../compile/types.js'
import type { SnapshotEnvelope } from './format.js'
import { linkFilterOverrides, linkHttpFilter, linkRateLimits, NO_OVERRIDES } from './filters.js'
import { EMPTY_MUTATION, linkHeaderMutation } from './headers.js'
import { linkMatchExtras, matchLinkers, NO_MATCH_EXTRAS, type MatchExtras } from './matchers.js'
import { LinkedRoute, type RouteExtras } from './route.js'
import { isRe2Regex } from '../regex/index.js'
import { regexOf } from './regex.js'
import { buildVirtualHostIndex } from './virtual-hosts.js'


const NONE: readonly never[] = Object.freeze([])
const NO_LOCALITY = Object.freeze({})
const NO_METADATA = Object.freeze({})
const NO_UPGRADES = Object.freeze({})

/**
 * The serialized snapshot as parsed (or as the compiler built it in memory):
 * the envelope, route tables as columns, and the pools they name.
 */
export type EncodedSnapshot = Omit<SnapshotEnvelope<EncodedSnapshotIR>, keyof RoutePoolsIR> & RoutePoolsIR

/**
 * What serializeSnapshot writes for each linked snapshot: the encoded form
 * the compiler linked it from, or the serialized text it was loaded from
 * (the data plane keeps the flat string, not a second object graph).
 */
const sources = new WeakMap<Snapshot, EncodedSnapshot | string>()
export const sourceOf = (snapshot: Snapshot): EncodedSnapshot | string | undefined => sources.get(snapshot)

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
  readonly pools: RoutePoolsIR
  /** Linked pool entries by index, linked on first use: routes that share an entry in the text share one object here. */
  readonly actions: (RouteAction | undefined)[]
  readonly matches: (MatchExtras | undefined)[]
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

function linkExtras(i: number, vhostOverrides: Readonly<Record<string, FilterOverride>>, shared: Shared): RouteExtras {
  const x = shared.pools.extras![i]!
  const own = linkFilterOverrides(x.filterOverrides)
  return deepFreeze({
    requestHeaders: linkHeaderMutation(x.requestHeaders),
    responseHeaders: linkHeaderMutation(x.responseHeaders),
    cors: x.cors ? matchLinkers().linkCors(x.cors) : undefined,
    // The most specific entry wins, per filter: the route's, else its virtual host's.
    filterOverrides: own === NO_OVERRIDES ? vhostOverrides : vhostOverrides === NO_OVERRIDES ? own : { ...vhostOverrides, ...own },
  })
}

/**
 * A virtual host's routes from their columns (RouteColumnsIR): one pass, one
 * object per route (src/snapshot/route.ts); pool entries are linked once, on
 * first use, and shared. Frozen as built, so the snapshot's deepFreeze stops
 * at the array.
 */
function linkRoutes(cols: RouteColumnsIR, vhostOverrides: Readonly<Record<string, FilterOverride>>, shared: Shared): readonly Route[] {
  const { path, flags, action, name, pattern, regex, match, extras } = cols
  const { pools, actions, matches } = shared
  const ignorePathParameters = shared.ignorePathParameters === true
  const noExtras: RouteExtras = Object.freeze({ requestHeaders: EMPTY_MUTATION, responseHeaders: EMPTY_MUTATION, cors: undefined, filterOverrides: vhostOverrides })
  const linkedExtras: (RouteExtras | undefined)[] = []
  const routes: Route[] = []
  for (let i = 0; i < path.length; i++) {
    const f = flags[i]!
    const rx = regex === undefined ? 0 : regex[i]!
    const m = match === undefined ? 0 : match[i]!
    const x = extras === undefined ? 0 : extras[i]!
    const a = action[i]!
    const own = name === undefined ? 0 : name[i]!
    routes.push(
      new LinkedRoute(
        own === 0 ? `#${i}` : own,
        i,
        (actions[a] ??= deepFreeze(linkAction(pools.actions[a]!, shared))),
        ROUTE_PATH_KINDS[f & 3]!,
        path[i]!,
        (f & 4) === 0,
        (f & 8) !== 0,
        pattern === undefined ? 0 : pattern[i]!,
        rx === 0 ? undefined : regexOf(pools.regexes![rx - 1]!),
        ignorePathParameters,
        m === 0 ? NO_MATCH_EXTRAS : (matches[m - 1] ??= linkMatchExtras(pools.matches![m - 1]!)),
        x === 0 ? noExtras : (linkedExtras[x - 1] ??= linkExtras(x - 1, vhostOverrides, shared)),
      ),
    )
  }
  return Object.freeze(routes)
}

function linkVirtualHost(vh: EncodedVirtualHostIR, shared: Shared): VirtualHost {
  return {
    name: vh.name,
    domains: vh.domains,
    routes: linkRoutes(vh.routes, deepFreeze(linkFilterOverrides(vh.filterOverrides)), shared),
    requestHeaders: linkHeaderMutation(vh.requestHeaders),
    responseHeaders: linkHeaderMutation(vh.responseHeaders),
    rateLimits: linkRateLimits(vh.rateLimits),
    requireTls: vh.requireTls ?? 'NONE',
  }
}

function linkRouteTable(rt: EncodedRouteTableIR, snapshotShared: Shared): RouteTable {
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

function linkListener(l: EncodedListenerIR, shared: Shared): Listener {
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

const DEFAULT_BREAKERS = Object.freeze({ ...DEFAULT_CIRCUIT_BREAKERS, retryBudget: undefined })
/** What a cluster that configures none of it gets: one frozen object for all of them. */
const DEFAULT_RESILIENCE = Object.freeze({
  healthChecks: NONE,
  outlier: undefined,
  circuitBreakers: DEFAULT_BREAKERS,
  healthyPanicThreshold: DEFAULT_HEALTHY_PANIC_THRESHOLD,
  overprovisioningFactor: DEFAULT_OVERPROVISIONING_FACTOR,
})

function linkHost(h: HostIR): Host {
  return Object.freeze({
    address: h.address,
    hostname: h.hostname,
    port: h.port,
    origin: h.origin,
    weight: h.weight ?? 1,
    priority: h.priority ?? 0,
    locality: h.locality ? deepFreeze(h.locality) : NO_LOCALITY,
    localityWeight: h.localityWeight,
    configuredHealth: h.configuredHealth ?? 'UNKNOWN',
    binding: h.binding,
    metadata: h.metadata ? deepFreeze(h.metadata) : NO_METADATA,
  })
}

/** Frozen as built (defaults shared), so the snapshot's deepFreeze stops at each cluster. */
function linkCluster(c: ClusterIR): Cluster {
  const hosts: Host[] = []
  for (const h of c.hosts) hosts.push(linkHost(h))
  const defaults = c.healthChecks === undefined && c.outlier === undefined && c.circuitBreakers === undefined && c.healthyPanicThreshold === undefined && c.overprovisioningFactor === undefined
  return Object.freeze({
    name: c.name,
    type: c.type,
    lbPolicy: c.lbPolicy,
    hosts: Object.freeze(hosts),
    connectTimeoutMs: c.connectTimeoutMs,
    tls: c.tls,
    resilience: defaults
      ? DEFAULT_RESILIENCE
      : deepFreeze({
          healthChecks: c.healthChecks ?? NONE,
          outlier: c.outlier,
          circuitBreakers: c.circuitBreakers ? { ...c.circuitBreakers, retryBudget: c.circuitBreakers.retryBudget } : DEFAULT_BREAKERS,
          healthyPanicThreshold: c.healthyPanicThreshold ?? DEFAULT_HEALTHY_PANIC_THRESHOLD,
          overprovisioningFactor: c.overprovisioningFactor ?? DEFAULT_OVERPROVISIONING_FACTOR,
        }),
    lb: c.lb ? deepFreeze(c.lb) : DEFAULT_CLUSTER_LB,
    hash: c.hash,
  })
}

/**
 * A frozen runtime Snapshot from its encoded form (src/compile/serialize.ts
 * encodeSnapshot; parsed and checked by loadSnapshot). `source` is what
 * serializeSnapshot writes for it: the encoded form, or the text it was read from.
 */
export function linkSnapshot(encoded: EncodedSnapshot, source: EncodedSnapshot | string = encoded): Snapshot {
  const ir = encoded.snapshot
  const clusters = new Map<string, Cluster>()
  for (const c of ir.clusters) clusters.set(c.name, linkCluster(c))
  const shared: Shared = {
    retryPolicies: deepFreeze((ir.retryPolicies ?? []).map(linkRetryPolicy)),
    clusterTargets: new Map(),
    pools: encoded,
    actions: [],
    matches: [],
  }
  const snapshot: Snapshot = deepFreeze({
    version: ir.version,
    hash: ir.hash,
    listeners: ir.listeners.map((l) => linkListener(l, shared)),
    clusters,
    createdAt: ir.createdAt,
    serviceCluster: ir.serviceCluster,
  })
  sources.set(snapshot, source)
  return snapshot
}

/**
 * Freeze a snapshot all the way down, so no stage can patch it in place.
 * An object is frozen before its children are visited, so "already frozen"
 * doubles as "already visited" (shared and cyclic references end there)
 * without a WeakSet lookup per node. Maps and Sets cannot be frozen; a Map's values are.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof RegExp || value instanceof Set || Object.isFrozen(value) || isRe2Regex(value)) return value
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v)
    return value
  }
  Object.freeze(value)
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) deepFreeze(value[i])
  // for…in reads a fast object's enum cache; Object.keys would allocate an array per object.
  else for (const k in value) deepFreeze((value as Record<string, unknown>)[k])
  return value
}

export { EMPTY_MUTATION }
