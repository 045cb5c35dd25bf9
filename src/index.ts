/**
 * The Worker entry and composition root. Admin requests (ADMIN_PREFIX,
 * ADMIN_HOST) go to the admin app and never upstream; every other request
 * goes to the listener this Worker serves, loaded from the latest published
 * snapshot (or the base `edgevoy build` put in the Worker).
 *
 * The data plane only: the admin API, the config authority's and the xDS
 * poller's code, yaml, zod and the schemas are in state/control-plane.ts,
 * imported on first use — an isolate that only proxies never evaluates them
 * (test/node/bundle-graph.test.ts).
 * https://developers.cloudflare.com/workers/runtime-apis/handlers/fetch/
 */
import { StatsStore } from './observability/stats.js'
import { isAdminRequest } from './state/admin-request.js'
import { directDistribution, locationDistribution, type Distribution } from './state/distribution.js'
import type { StateEnv } from './state/env.js'
import { servingForRequest } from './state/refresh.js'
import { Isolate, type IsolateState } from './state/serving.js'
import { WorkersLocationCache } from './state/workers-cache.js'
import { ensureXdsPoller } from './state/xds-ensure.js'
import { ClusterManager } from './upstream/cluster-manager.js'

export { ConfigAuthority, XdsPoller } from './state/durable-objects.js'
export { HealthAuthority } from './state/health-authority.js'

let isolate: Isolate | undefined
let distribution: Distribution | undefined

/**
 * This isolate's one ClusterManager (upstream state that outlives snapshots)
 * and one stats store, created on the first request: a Worker may not
 * generate random values at global scope, and its clock reads 0 there.
 */
export function theIsolate(env?: StateEnv): Isolate {
  // Config versions and health reports through the location's cache (state/distribution.ts);
  // EDGEVOY_DISTRIBUTION=direct: every isolate reads KV and polls each authority itself.
  distribution ??= env?.EDGEVOY_DISTRIBUTION === 'direct' ? directDistribution(Date.now) : locationDistribution(new WorkersLocationCache(caches.default), Date.now, crypto.randomUUID(), Math.random)
  return (isolate ??= new Isolate({
    clusters: new ClusterManager({ random: Math.random, now: Date.now, health: distribution.health }),
    stats: new StatsStore(),
    random: Math.random,
    now: Date.now,
  }))
}

export default {
  fetch(request, env, ctx) {
    const iso = theIsolate(env)
    const state = iso.ready(env)
    // Not async: on the per-request path the listener app's own promise is the answer, with no promise around it.
    return state ? handle(request, env, ctx, iso, state) : iso.prepare(env).then((s) => handle(request, env, ctx, iso, s))
  },
} satisfies ExportedHandler<StateEnv>

function handle(request: Request, env: StateEnv, ctx: ExecutionContext, iso: Isolate, state: IsolateState): Response | Promise<Response> {
  // A base config with REST dynamic_resources: make sure the poller Durable Object runs (once per isolate).
  ensureXdsPoller(env, ctx, { xdsPolled: state.xdsPolled, config: () => state.base.config })
  if (isAdminRequest(request, env)) {
    // Fail closed: with no token configured the admin API does not exist (404, as if absent).
    if (!env.ADMIN_TOKEN) return new Response(null, { status: 404 })
    return import('./state/control-plane.js').then(({ adminFetch }) => adminFetch(request, env, ctx, iso))
  }
  // A Serving, or a promise of one only while something must be waited for (state/refresh.ts).
  const serving = servingForRequest(iso, env, ctx, distribution!.refresh)
  return serving instanceof Promise ? serving.then((s) => s.fetch(request, env, ctx)) : serving.fetch(request, env, ctx)
}
