/**
 * What an HTTP filter is to the chain: a factory from its validated listener
 * config to a handler that also receives the route's merged per-filter config.
 */
import type { Context, Next } from 'hono'
import type { Cluster, Host, Listener } from '../compile/types.js'
import type { ProxyEnv } from '../router/app.js'

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
}

export type FilterContext = Context<ProxyEnv>

/** Runs one request through the filter; `perRoute` is the route's (or virtual host's) parsed config, if any. */
export type FilterHandler<R> = (c: FilterContext, next: Next, perRoute: R | undefined) => Promise<Response | void>

export interface FilterFactory<C = unknown, R = unknown> {
  /** Envoy's canonical name, e.g. `envoy.filters.http.cors`. */
  readonly name: string
  /** Short name used in stats (`http.<stat_prefix>.<statName>.<counter>`). */
  readonly statName: string
  create(config: C, env: { listener: Listener; deps: FilterDeps; count: (counter: string) => void }): FilterHandler<R>
}
