/**
 * The data plane carries only the data plane: what an isolate that only
 * proxies evaluates is the static import graph of the Worker entry. Built
 * exactly as `edgevoy build` builds it (esbuild, code splitting), that graph
 * must not contain yaml, zod, the config schemas and loader, the admin API,
 * the config authority or the xDS client — those are reached through
 * `import()` (src/state/control-plane.ts) and land in chunks of their own.
 * Nor the HTTP filters, the regex engine, access-log formatting or tracing:
 * an isolate imports those only for a snapshot that names them (src/filters/registry.ts, state/serving.ts).
 */
import { build, type Metafile } from 'esbuild'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, WORKER_BUILD_OPTIONS } from '../../src/cli/bundle'
import { dataPlaneChunk, staticOutputs } from '../../src/cli/worker-build'
import { IMPLEMENTED_KINDS } from '../../src/filters/registry'

let metafile: Metafile

beforeAll(async () => {
  // As `edgevoy build` splits it (src/cli/worker-build.ts).
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [join(ROOT, 'src/index.ts')], absWorkingDir: ROOT, outdir: join(ROOT, '.edgevoy/graph'), splitting: true, plugins: [dataPlaneChunk()], metafile: true, write: false })
  metafile = result.metafile
}, 60_000)

/** Every input the entry reaches through static imports, each with the module that first imported it. */
function staticGraph(entry: string): Map<string, string | undefined> {
  const seen = new Map<string, string | undefined>([[entry, undefined]])
  const queue = [entry]
  while (queue.length) {
    const file = queue.shift()!
    for (const i of metafile.inputs[file]?.imports ?? []) {
      if (i.kind !== 'import-statement' || i.external || seen.has(i.path)) continue
      seen.set(i.path, file)
      queue.push(i.path)
    }
  }
  return seen
}

/** Inputs matching `pattern`, each shown with the chain of imports that pulls it in. */
function offenders(pattern: RegExp): string[] {
  const graph = staticGraph('src/index.ts')
  const bad = [...graph.keys()].filter((p) => pattern.test(p))
  const chain = (p: string) => {
    const path = [p]
    for (let up = graph.get(p); up; up = graph.get(up)) path.unshift(up)
    return path.join(' → ')
  }
  // Only where the forbidden part is entered, not everything behind it.
  return bad.filter((p) => !bad.includes(graph.get(p)!)).map(chain)
}

describe('the data-plane entry (src/index.ts) statically imports', () => {
  it('no admin API (nor its view of the cluster manager), config authority, xDS client, yaml or config loader', () => {
    expect(offenders(/^src\/admin\/|^src\/upstream\/cluster-status\.ts$|^src\/xds\/|^src\/state\/(control-plane|base-config|compile-snapshot|xds-poller)\.ts$|node_modules\/yaml\/|^src\/config\/(load|normalize|cross-check|yaml-source)\.ts$|^routes\//)).toEqual([])
  })

  it('no zod and no config schema', () => {
    expect(offenders(/node_modules\/zod\/|^src\/config\/schema\//)).toEqual([])
  })

  it('and reaches the control plane only through import(): its own chunk', () => {
    const dynamic = metafile.inputs['src/index.ts']!.imports.concat(...Object.values(metafile.inputs).map((i) => i.imports)).filter((i) => i.kind === 'dynamic-import')
    expect(dynamic.map((i) => i.path)).toContain('src/state/control-plane.ts')
    const chunk = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === 'src/state/control-plane.ts')
    expect(chunk, 'control-plane chunk').toBeDefined()
    expect(Object.keys(chunk![1].inputs)).toEqual(expect.arrayContaining(['src/admin/app.ts', 'src/admin/authority.ts', 'src/state/xds-poller.ts']))
  })
})

/** Each filter's module, as src/filters/registry.ts imports it, with what only it uses. */
const FILTER_MODULES: Record<(typeof IMPLEMENTED_KINDS)[number], string> = {
  cors: 'src/filters/cors.ts',
  fault: 'src/filters/fault.ts',
  jwt_authn: 'src/filters/jwt/authn.ts',
  local_ratelimit: 'src/filters/local-ratelimit.ts',
  rbac: 'src/filters/rbac.ts',
  cloudflare_ratelimit: 'src/filters/cloudflare-ratelimit.ts',
  health_check: 'src/filters/health-check.ts',
  csrf: 'src/filters/csrf.ts',
  cache: 'src/filters/cache.ts',
  compressor: 'src/filters/compressor.ts',
  decompressor: 'src/filters/decompressor.ts',
  header_mutation: 'src/filters/header-mutation.ts',
  header_to_metadata: 'src/filters/header-to-metadata.ts',
  oauth2: 'src/filters/oauth2/filter.ts',
}

describe('HTTP filters and the regex engine are imported only for a snapshot that names them', () => {
  it('no filter module, no jwt/oauth2/cache internals, no regex machine in the static graph', () => {
    const lazy = Object.values(FILTER_MODULES).map((f) => f.replace(/[.]/g, '[.]'))
    const pattern = new RegExp(`^(${lazy.join('|')})$|^src/filters/(jwt|oauth2|cache)/|^src/regex/(dfa|pike|bitstate|serialize|engine|re2-regex)[.]ts$|^src/upstream/lb/(least-request|ring-hash|maglev)[.]ts$|node_modules/hono/dist/router/(reg-exp|smart)-router/|^src/observability/(observers|access-log/(loggers|format|start-time)|tracing/(config|context|span|zipkin))[.]ts$`)
    expect(offenders(pattern)).toEqual([])
  })

  it('every implemented filter is named here and reached through import(), in a chunk of its own', () => {
    expect(Object.keys(FILTER_MODULES).sort()).toEqual([...IMPLEMENTED_KINDS].sort())
    const dynamic = new Set(Object.values(metafile.inputs).flatMap((i) => i.imports.filter((x) => x.kind === 'dynamic-import').map((x) => x.path)))
    for (const [kind, file] of Object.entries(FILTER_MODULES)) {
      expect(dynamic.has(file), `${kind}: import('${file}')`).toBe(true)
      expect(Object.values(metafile.outputs).some((o) => o.entryPoint === file), `${kind}: a chunk for ${file}`).toBe(true)
    }
    expect(dynamic.has('src/regex/engine.ts')).toBe(true)
    // Access logs and tracing: only for a listener that has either (src/observability/observe.ts loadObservers).
    expect(dynamic.has('src/observability/observers.ts')).toBe(true)
  })

  it('the entry loads one data-plane chunk beside it, not a scatter of shared ones', () => {
    const entry = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === 'src/index.ts')![0]
    const loaded = staticOutputs(metafile, entry)
    expect(loaded.size, [...loaded].join(', ')).toBeLessThanOrEqual(2)
    // The data plane's modules a filter (or mirroring) uses are in the chunk the entry already loaded.
    const dataPlane = [...loaded].find((o) => o !== entry)!
    expect(Object.keys(metafile.outputs[dataPlane]!.inputs)).toEqual(expect.arrayContaining(['src/router/app.ts', 'src/router/headers.ts', 'src/upstream/forward.ts', 'src/context.ts', 'src/regex/index.ts']))
  })
})

describe('upstream code only some snapshots use, and the health hub, are imported on demand', () => {
  // upstream/on-demand.ts (outlier detection, mirroring, retrying), lb/index.ts (hash policy, random, locality picking), state/health-authority.ts (the hub's core),
  // upstream/forward.ts (an upstream 1xx: imported on the first one, the one import on a request path, and a rare one),
  // snapshot/filters.ts (the linkers of filter configs and per-route overrides, with RBAC's and OAuth2's),
  // snapshot/matchers.ts (header, query-parameter, cookie and string matchers, CORS policies: for a snapshot that has one),
  // state/config-source.ts (D1 config rows: a deployment with EDGEVOY_DB imports them on its first read),
  // router/route-index.ts (the index of a virtual host with more than 8 routes, with Hono's TrieRouter).
  const ON_DEMAND = ['src/router/indexed-routes.ts', 'src/upstream/outlier.ts', 'src/upstream/mirror.ts', 'src/upstream/retries.ts', 'src/upstream/lb/hash-policy.ts', 'src/upstream/lb/random.ts', 'src/upstream/lb/locality.ts', 'src/state/health-authority-core.ts', 'src/upstream/informational.ts', 'src/snapshot/filter-configs.ts', 'src/snapshot/match-linkers.ts', 'src/state/config-rows.ts']

  it('none of them, nor what only they use (xxhash64, the active checker, the hub\'s D1 row writer, the RBAC and OAuth2 linkers, Hono\'s TrieRouter), is in the static graph', () => {
    const pattern = new RegExp(`^(${[...ON_DEMAND, 'src/upstream/lb/xxhash64.ts', 'src/upstream/health/checker.ts', 'src/upstream/health/hub-row-writer.ts', 'src/snapshot/rbac.ts', 'src/snapshot/oauth2.ts', 'src/upstream/replay-body.ts'].map((f) => f.replace(/[.]/g, '[.]')).join('|')})$|node_modules/hono/dist/router/trie-router/`)
    expect(offenders(pattern)).toEqual([])
  })

  it('each is reached through import(), in a chunk of its own', () => {
    const dynamic = new Set(Object.values(metafile.inputs).flatMap((i) => i.imports.filter((x) => x.kind === 'dynamic-import').map((x) => x.path)))
    for (const file of ON_DEMAND) {
      expect(dynamic.has(file), `import('${file}')`).toBe(true)
      expect(Object.values(metafile.outputs).some((o) => o.entryPoint === file), `a chunk for ${file}`).toBe(true)
    }
  })
})
