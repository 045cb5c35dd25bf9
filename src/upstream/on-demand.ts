/**
 * Upstream code that only some snapshots use, in chunks of their own like the
 * HTTP filters (src/filters/registry.ts): outlier detection (a cluster with
 * `outlier_detection`), request mirroring (a route with
 * `request_mirror_policies`), the hash policy (a route with `hash_policy`),
 * retrying (a route with a retry policy, or a listener with internal callers,
 * who may ask for retries: retries.ts) and the random, least-request,
 * ring-hash and Maglev balancers and locality picking (lb/index.ts).
 * `loadUpstreamFor` imports what a snapshot names where it is made ready to
 * serve (state/serving.ts), never per request; the request path then uses
 * them synchronously, as it did when they were in the entry.
 */
import type { Snapshot } from '../compile/types.js'
import { lazyModule } from '../lazy-module.js'
import { loadHashPolicy, loadLoadBalancers, loadLocality } from './lb/index.js'

// One literal import() each, so the bundler sees each chunk.
const OUTLIER = lazyModule(() => import('./outlier.js'))
const MIRROR = lazyModule(() => import('./mirror.js'))
const RETRIES = lazyModule(() => import('./retries.js'))

/** Outlier detection's module; loaded before a snapshot whose clusters set outlier_detection serves. */
export const outlierDetection = () => OUTLIER.expect('edgevoy: outlier detection is not loaded: await loadUpstreamFor() before serving a snapshot whose clusters use it')

/** Request mirroring's module; loaded before a snapshot whose routes mirror serves. */
export const mirroring = () => MIRROR.expect('edgevoy: request mirroring is not loaded: await loadUpstreamFor() before serving a snapshot whose routes mirror')

/** Retrying's module (retries.ts); loaded before a snapshot whose routes retry, or whose listener has internal callers, serves. */
export const retrying = () => RETRIES.expect('edgevoy: retrying is not loaded: await loadUpstreamFor() before serving a snapshot whose routes retry or whose listener has internal callers')

/** What of the on-demand upstream code a snapshot uses. */
export function upstreamNeeds(snapshot: Snapshot): { readonly outlier: boolean; readonly mirror: boolean; readonly hashPolicy: boolean; readonly retries: boolean } {
  let mirror = false
  let hashPolicy = false
  // An internal caller may ask for retries on any route (x-envoy-retry-on: upstream/retry.ts).
  let retries = snapshot.listeners.some((l) => (l.downstream?.internalAddresses?.length ?? 0) > 0)
  const seen = new Set<object>()
  for (const listener of snapshot.listeners) {
    for (const vhost of listener.routeTable.virtualHosts) {
      for (const route of vhost.routes) {
        const a = route.action
        // Routes share linked actions: each is looked at once.
        if (a.type !== 'route' || seen.has(a)) continue
        seen.add(a)
        mirror ||= a.mirrors.length > 0
        hashPolicy ||= a.hashPolicy.length > 0
        retries ||= a.retryPolicy !== undefined
      }
    }
  }
  const outlier = [...snapshot.clusters.values()].some((c) => c.resilience.outlier !== undefined)
  return { outlier, mirror, hashPolicy, retries }
}

/** Import what `snapshot` uses (each once per isolate; a failed import is tried again by the next call). */
export async function loadUpstreamFor(snapshot: Snapshot): Promise<void> {
  const needs = upstreamNeeds(snapshot)
  await Promise.all([
    loadLoadBalancers([...snapshot.clusters.values()].map((c) => c.lbPolicy)),
    loadLocality(snapshot.clusters.values()),
    needs.outlier ? OUTLIER.load() : undefined,
    needs.mirror ? MIRROR.load() : undefined,
    needs.hashPolicy ? loadHashPolicy() : undefined,
    needs.retries ? RETRIES.load() : undefined,
  ])
}

/** Every on-demand part (tests that build apps synchronously preload them all). */
export async function preloadUpstream(): Promise<void> {
  await Promise.all([OUTLIER.load(), MIRROR.load(), RETRIES.load(), loadHashPolicy(), loadLocality()])
}
