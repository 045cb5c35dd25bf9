/**
 * What bench/load-child.ts times, as one module: bench/main.ts bundles it the
 * way the Worker is built (esbuild, ESM), so a first run pays what a new
 * isolate pays — not tsx's per-export getters and CommonJS wrappers, which a
 * deployed Worker does not have.
 */
export { loadSnapshot } from '../src/snapshot/load.js'
export { loadMatchLinkers } from '../src/snapshot/matchers.js'
export { buildRouteIndex, loadRouteIndex } from '../src/router/route-index.js'
export { loadRegexEngine } from '../src/regex/index.js'
export { programFromJson, type ProgramJson } from '../src/regex/serialize.js'
