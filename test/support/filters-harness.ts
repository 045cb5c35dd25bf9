/**
 * Builds a listener app from an Envoy config object, the way the Worker does
 * (loadConfig → compileConfig → buildListenerApp), with an injected clock and
 * randomness, forwarding to the real test upstreams.
 */
import { compileConfig } from '../../src/compile/index'
import { formatIssue } from '../../src/config/issues'
import { loadConfig } from '../../src/config/load'
import type { StatsStore } from '../../src/observability/stats'
import { buildListenerApp } from '../../src/router/app'
import { isDeadlineHold } from '../../src/upstream/body-guard'
import { ClusterManager } from '../../src/upstream/cluster-manager'
import { bootstrap as envoyBootstrap, connect1s } from './envoy-config'

export interface Harness {
  fetch(path: string, init?: RequestInit & { env?: Record<string, unknown> }): Promise<Response>
  advance(ms: number): void
  setRandom(value: number): void
  /** Waits for the work requests handed to `ctx.waitUntil` (e.g. cache stores). */
  settle(): Promise<void>
}

/** A bootstrap with one listener `edge`: these virtual hosts and http_filters, cluster `upstream` on 127.0.0.1:port. */
export const bootstrap = (port: number, virtualHosts: unknown[], httpFilters: unknown[]): Record<string, unknown> =>
  envoyBootstrap({
    listener: { name: 'edge' },
    route_config: { name: 'r' },
    virtual_hosts: virtualHosts,
    http_filters: httpFilters,
    clusters: { upstream: connect1s(port) },
  })

/** `stats`: the store the app counts into (default: this isolate's). */
export function harness(config: Record<string, unknown>, start = 1_700_000_000_000, options: { stats?: StatsStore } = {}): Harness {
  const loaded = loadConfig(JSON.stringify(config))
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => formatIssue(e)).join('\n'))
  const snapshot = compileConfig(loaded.config)
  let now = start
  let random = 0.5
  const deps = {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    bindings: {},
    random: () => random,
    now: () => now,
    sleep: async (ms: number) => void (now += ms),
  }
  const app = buildListenerApp(snapshot, snapshot.listeners[0]!, { ...deps, clusters: new ClusterManager(deps), stats: options.stats })
  const pending: Promise<unknown>[] = []
  // A deadline hold (a passed-through body's route timeout) is no work to wait for: it runs until the deadline.
  const ctx = { waitUntil: (p: Promise<unknown>) => void (isDeadlineHold(p) || pending.push(p.catch(() => undefined))), passThroughOnException: () => undefined, props: {} } as unknown as ExecutionContext
  return {
    fetch: async (path, init = {}) => {
      const { env, ...rest } = init
      return app.fetch(new Request(`http://edge.example.com${path}`, rest), env ?? {}, ctx)
    },
    settle: async () => {
      while (pending.length) await pending.shift()
    },
    advance: (ms) => void (now += ms),
    setRandom: (v) => void (random = v),
  }
}
