/**
 * A data plane imports the filter config linkers (src/snapshot/filter-configs.ts)
 * only for snapshot text that `needsFilterLinkers` says needs them
 * (snapshot/load.ts `readySnapshot`); text it wrongly passed over would fail
 * to link. Checked against every serialized snapshot we can compile — the
 * project's routes/ and the real-world corpus — by walking the JSON: any
 * HTTP filter of a kind whose config is linked, or any per-route filter
 * override, must be caught. Likewise the matcher linkers
 * (src/snapshot/match-linkers.ts, `needsMatchLinkers`): any header,
 * query-parameter or cookie matcher, CORS policy or string matcher.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { compileFile } from '../../src/cli/build'
import { needsFilterLinkers } from '../../src/snapshot/filters'
import { needsMatchLinkers } from '../../src/snapshot/matchers'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const LINKED = new Set(['fault', 'rbac', 'jwt_authn', 'health_check', 'csrf', 'cache', 'header_mutation', 'oauth2'])

const list = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).sort().flatMap((n) => (statSync(join(dir, n)).isDirectory() ? list(join(dir, n)) : /\.(ya?ml|json)$/.test(n) ? [join(dir, n)] : [])) : []

/** `../shared/corpus` beside the checkout or an ancestor of it (as test/node/corpus.test.ts finds it). */
function corpusFiles(): string[] {
  let dir = ROOT
  for (let i = 0; i < 4; i++, dir = join(dir, '..')) {
    const candidate = join(dir, '..', 'shared', 'corpus', 'real-envoy-configs', 'files')
    if (existsSync(candidate)) return list(candidate)
  }
  return []
}

/** Every serialized snapshot we can compile (routes/ and the corpus), compiled once for both checks below. */
let compiled: Promise<{ file: string; text: string }[]> | undefined
const snapshots = () =>
  (compiled ??= (async () => {
    const out: { file: string; text: string }[] = []
    for (const file of [...list(join(ROOT, 'routes')), ...corpusFiles()]) {
      const c = await compileFile(file, undefined).catch(() => undefined)
      if (c?.ok) out.push({ file, text: c.base.snapshot })
    }
    return out
  })())

/** Of the snapshots `needs` (the walk) says need a module: how many, and those `detects` passed over. */
async function missedBy(needs: (doc: unknown) => boolean, detects: (text: string) => boolean): Promise<{ needing: number; missed: string[] }> {
  const needing = (await snapshots()).filter((s) => needs(JSON.parse(s.text)))
  return { needing: needing.length, missed: needing.filter((s) => !detects(s.text)).map((s) => s.file) }
}

/** What the linker would need the module for, read off the parsed text. */
function needsByWalk(doc: unknown): boolean {
  const walk = (v: unknown, key?: string): boolean => {
    if (Array.isArray(v)) return v.some((x) => walk(x, key))
    if (v === null || typeof v !== 'object') return false
    const o = v as Record<string, unknown>
    if (key === 'httpFilters' && typeof o.kind === 'string' && LINKED.has(o.kind)) return true
    return Object.entries(o).some(([k, x]) => (k === 'filterOverrides' && x !== null && typeof x === 'object' && Object.keys(x).length > 0) || walk(x, k))
  }
  return walk(doc)
}

describe('needsFilterLinkers', () => {
  it('catches every compiled snapshot whose filters or per-route overrides need the linkers', async () => {
    const { needing, missed } = await missedBy(needsByWalk, needsFilterLinkers)
    expect(missed).toEqual([])
    // Not vacuous: routes/examples/edge-policies.yaml alone has several such filters.
    expect(needing).toBeGreaterThan(3)
  }, 120_000)

  it('passes over a snapshot whose listener has only the router filter', async () => {
    const compiled = await compileFile(join(ROOT, 'routes/front-envoy.yaml'), undefined)
    expect(compiled.ok && needsFilterLinkers(compiled.base.snapshot)).toBe(false)
  })
})

/**
 * Whether the linker would need snapshot/match-linkers.ts, read off the
 * parsed text: a header, query-parameter or cookie matcher (anything with a
 * name and a match), a CORS policy, or a string matcher — outside filter
 * configs and per-route overrides (filter-configs.ts imports the module
 * itself) and active health checks (linked by the health hub's core, which
 * does too).
 */
function needsMatchersByWalk(doc: unknown): boolean {
  const isStringMatcher = (o: Record<string, unknown>) => ['exact', 'prefix', 'suffix', 'contains', 'regex'].includes(o.kind as string) && ('value' in o || 'regex' in o) && !('path' in o)
  const walk = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.some(walk)
    if (v === null || typeof v !== 'object') return false
    const o = v as Record<string, unknown>
    if ((typeof o.name === 'string' && o.match !== null && typeof o.match === 'object') || Array.isArray(o.allowOrigin) || isStringMatcher(o)) return true
    return Object.entries(o).some(([k, x]) => !['httpFilters', 'filterOverrides', 'healthChecks'].includes(k) && walk(x))
  }
  return walk(doc)
}

describe('needsMatchLinkers', () => {
  it('catches every compiled snapshot with a header, query-parameter or cookie matcher, a CORS policy or a string matcher', async () => {
    const { needing, missed } = await missedBy(needsMatchersByWalk, needsMatchLinkers)
    expect(missed).toEqual([])
    expect(needing).toBeGreaterThan(3)
  }, 120_000)

  it('passes over a snapshot whose routes match on the path alone', async () => {
    const compiled = await compileFile(join(ROOT, 'routes/front-envoy.yaml'), undefined)
    expect(compiled.ok && needsMatchLinkers(compiled.base.snapshot)).toBe(false)
  })
})
