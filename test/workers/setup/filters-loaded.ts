/**
 * A served snapshot's HTTP filters (and its least-request, ring-hash and
 * Maglev balancers, outlier detection, hash policy, mirroring and retrying, the filter
 * config and matcher linkers, the route index for virtual hosts of more than 8 routes, and its
 * access-log and tracing code) are imported where the snapshot is made ready
 * (src/filters/registry.ts, src/upstream/lb/index.ts, awaited in
 * state/serving.ts). The test
 * harnesses build apps straight from compiled snapshots with the synchronous
 * `buildListenerApp`, so every filter is imported here, before the file's
 * tests — which also keeps vite's first transform of them out of a test's
 * timeout. The lazy path itself (a fresh isolate importing only what its
 * snapshot names, and a swap to a snapshot naming a filter not yet loaded)
 * runs in test/node/lazy-filters.test.ts against the built Worker.
 */
import { IMPLEMENTED_KINDS, loadFilters } from '../../../src/filters/registry'
import { preloadObservers } from '../../../src/observability/observe'
import { LAZY_LB_POLICIES, loadLoadBalancers } from '../../../src/upstream/lb'
import { preloadUpstream } from '../../../src/upstream/on-demand'
import { loadFilterLinkers } from '../../../src/snapshot/filters'
import { loadRouteIndex } from '../../../src/router/route-index'
import { loadMatchLinkers } from '../../../src/snapshot/matchers'

await Promise.all([loadFilters(IMPLEMENTED_KINDS), loadLoadBalancers(LAZY_LB_POLICIES), preloadObservers(), preloadUpstream(), loadFilterLinkers(), loadMatchLinkers(), loadRouteIndex()])

export {}
