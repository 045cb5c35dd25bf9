/**
 * What an HTTP filter is to the chain: a factory from its compiled listener
 * config to a handler that also receives the route's compiled per-filter
 * config (the route's typed_per_filter_config over its virtual host's).
 */
import type { Next } from 'hono'
import type { Cluster, FilterConfigs, HttpFilterKind, Host, Listener, PerRouteConfigs } from '../compile/types.js'
import type { ProxyContext } from '../context.js'
import type { StatsSink } from '../observability/stats.js'

/** Injected so tests control time, chance and the network (STYLE: never reached for). */
export interface FilterDeps {
  readonly fetch: typeof fetch
  readonly now: () => number
  readonly random: () => number
  /** Waits `ms` (fault delays). Defaults to setTimeout. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined
  /** Picks a host of a cluster (jwt_authn fetches remote JWKS through `http_uri.cluster`, as Envoy does). */
  readonly clusters?: { chooseHost(cluster: Cluster): Host | undefined } | undefined
  readonly bindings?: Readonly<Record<string, Fetcher | undefined>> | undefined
  /** Where filter counters go: the one stats store `/__admin/stats` and Prometheus read. Default: this isolate's. */
  readonly stats?: StatsSink | undefined
}

export type FilterContext = ProxyContext

/** Runs one request through the filter; `perRoute` is the route's (or virtual host's) compiled config, if any. */
export type FilterHandler<R> = (c: FilterContext, next: Next, perRoute: R | undefined) => Promise<Response | void>

export interface FilterEnv {
  readonly listener: Listener
  readonly deps: FilterDeps
  /** Increments `http.<stat_prefix>.<statName>.<counter>`. */
  readonly count: (counter: string) => void
  /** Increments a stat by its full name (filters whose stats live under their own stat_prefix). */
  readonly stat: (name: string) => void
}

export interface FilterFactory<K extends Exclude<HttpFilterKind, 'router' | 'unknown'>> {
  readonly kind: K
  /** Envoy's canonical name, e.g. `envoy.filters.http.cors`. */
  readonly name: string
  /** Short name used in stats (`http.<stat_prefix>.<statName>.<counter>`). */
  readonly statName: string
  create(config: FilterConfigs[K], env: FilterEnv): FilterHandler<PerRouteConfigs[K]>
}
