/**
 * The data plane carries only the data plane: what an isolate that only
 * proxies evaluates is the static import graph of the Worker entry. Built
 * exactly as `edgevoy build` builds it (esbuild, code splitting), that graph
 * must not contain yaml, zod, the config schemas and loader, the admin API,
 * the config authority or the xDS client — those are reached through
 * `import()` (src/state/control-plane.ts) and land in chunks of their own.
 */
import { build, type Metafile } from 'esbuild'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, WORKER_BUILD_OPTIONS } from '../../src/cli/bundle'

let metafile: Metafile

beforeAll(async () => {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [join(ROOT, 'src/index.ts')], absWorkingDir: ROOT, outdir: join(ROOT, '.edgevoy/graph'), splitting: true, metafile: true, write: false })
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
  it('no admin API, config authority, xDS client, yaml or config loader', () => {
    expect(offenders(/^src\/admin\/|^src\/xds\/|^src\/state\/(control-plane|base-config|compile-snapshot|xds-poller)\.ts$|node_modules\/yaml\/|^src\/config\/(load|normalize|cross-check|yaml-source)\.ts$|^routes\//)).toEqual([])
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
