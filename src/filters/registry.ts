/**
 * Every implemented HTTP filter, reached through `import()`: a deployed
 * Worker (src/cli/worker-build.ts, esbuild code splitting) carries each
 * filter in a chunk of its own beside the entry, and an isolate evaluates
 * only the filters the snapshot it serves names — not jwt_authn's, oauth2's
 * or the cache's code for a config that lists none of them
 * (test/node/bundle-graph.test.ts).
 *
 * Loading happens where a snapshot is made ready to serve (state/serving.ts:
 * the base on the isolate's first request, a newer version before it
 * replaces the serving one), never per request: `loadFilters` is awaited
 * there, and the chain is then built synchronously from `loadedFilter`.
 * https://esbuild.github.io/api/#splitting
 */
import type { HttpFilter, HttpFilterKind, Listener } from '../compile/types.js'
import { lazyModule, type LazyModule } from '../lazy-module.js'
import type { FilterFactory } from './types.js'

/** The filters with an implementation: not the router (the app's final handler) nor an unknown optional one. */
export type ImplementedKind = Exclude<HttpFilterKind, 'router' | 'unknown'>

type Loaders = { readonly [K in ImplementedKind]: () => Promise<FilterFactory<K>> }

// One literal import() per filter, so the bundler sees each chunk.
const LOADERS: Loaders = {
  cors: async () => (await import('./cors.js')).corsFilter,
  fault: async () => (await import('./fault.js')).faultFilter,
  jwt_authn: async () => (await import('./jwt/authn.js')).jwtAuthnFilter,
  local_ratelimit: async () => (await import('./local-ratelimit.js')).localRateLimitFilter,
  rbac: async () => (await import('./rbac.js')).rbacFilter,
  cloudflare_ratelimit: async () => (await import('./cloudflare-ratelimit.js')).cloudflareRateLimitFilter,
  health_check: async () => (await import('./health-check.js')).healthCheckFilter,
  csrf: async () => (await import('./csrf.js')).csrfFilter,
  cache: async () => (await import('./cache.js')).cacheFilter,
  compressor: async () => (await import('./compressor.js')).compressorFilter,
  decompressor: async () => (await import('./decompressor.js')).decompressorFilter,
  header_mutation: async () => (await import('./header-mutation.js')).headerMutationFilter,
  header_to_metadata: async () => (await import('./header-to-metadata.js')).headerToMetadataFilter,
  oauth2: async () => (await import('./oauth2/filter.js')).oauth2Filter,
}

/** Every implemented kind (tests preload them all; the contract suite runs over them). */
export const IMPLEMENTED_KINDS = Object.freeze(Object.keys(LOADERS) as ImplementedKind[])

const MODULES = Object.fromEntries(IMPLEMENTED_KINDS.map((k) => [k, lazyModule<unknown>(LOADERS[k])])) as unknown as {
  readonly [K in ImplementedKind]: LazyModule<FilterFactory<K>>
}

const isImplemented = (kind: HttpFilterKind): kind is ImplementedKind => kind !== 'router' && kind !== 'unknown'

/** The kinds the listener's chain runs: those before the router filter (Envoy never runs the ones after it). */
export function chainKinds(listener: Pick<Listener, 'httpFilters'>): ImplementedKind[] {
  const kinds = new Set<ImplementedKind>()
  for (const f of listener.httpFilters as readonly HttpFilter[]) {
    if (f.kind === 'router') break
    if (isImplemented(f.kind)) kinds.add(f.kind)
  }
  return [...kinds]
}

/**
 * Import the modules of these filter kinds (each once per isolate). Rejects
 * if one cannot be imported; what it did load stays loaded, and a later call
 * tries the failed one again.
 */
export async function loadFilters(kinds: Iterable<ImplementedKind>): Promise<void> {
  await Promise.all([...new Set(kinds)].map((k) => MODULES[k].load()))
}

/** The listener's filters, imported: what must be awaited before `buildListenerApp` for it. */
export const loadListenerFilters = (listener: Pick<Listener, 'httpFilters'>): Promise<void> => loadFilters(chainKinds(listener))

/** Whether this kind's module is loaded in this isolate. */
export const isFilterLoaded = (kind: ImplementedKind): boolean => MODULES[kind].get() !== undefined

/** A loaded filter's factory; building a chain with one not loaded is a bug in the caller (it skipped `loadFilters`). */
export const loadedFilter = <K extends ImplementedKind>(kind: K): FilterFactory<K> =>
  MODULES[kind].expect(`edgevoy: the ${kind} filter's module is not loaded: await loadFilters() before building the app`)
