/**
 * The data plane reads compiled values only: nothing under src/router,
 * src/filters, src/upstream, src/observability or src/snapshot (the loader)
 * may reach src/config/ (schemas, zod, YAML) through its static imports —
 * type-only imports included, so a schema type cannot creep back onto the
 * request path. Checked on the source's import graph, transitively.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const SRC = join(ROOT, 'src')
const DATA_PLANE = ['router', 'filters', 'upstream', 'observability', 'snapshot'].map((d) => join(SRC, d))
const FORBIDDEN_PACKAGES = ['zod', 'yaml']

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** A relative specifier → the .ts file it names (`./x.js`, `./x`, `./x/index.js`). */
function resolveTs(from: string, spec: string): string {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''))
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // try the next form
    }
  }
  throw new Error(`${relative(ROOT, from)}: cannot resolve ${spec}`)
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!)
}

/** Every path by which `start` reaches a forbidden module, as "a → b → c" chains. */
function violations(start: string): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const spec of importsOf(file)) {
      const here = [...chain, relative(ROOT, file)]
      if (!spec.startsWith('.')) {
        if (FORBIDDEN_PACKAGES.includes(spec.split('/')[0]!)) out.push([...here, spec].join(' → '))
        continue
      }
      const target = resolveTs(file, spec)
      if (target.startsWith(join(SRC, 'config') + '/')) out.push([...here, relative(ROOT, target)].join(' → '))
      else walk(target, here)
    }
  }
  walk(start, [])
  return out
}

describe('data plane import graph', () => {
  const files = DATA_PLANE.flatMap(filesUnder)

  it('covers the request path', () => {
    expect(files.length).toBeGreaterThan(50)
    expect(files.map((f) => relative(SRC, f))).toContain('snapshot/load.ts')
  })

  it.each(files.map((f) => [relative(ROOT, f), f]))('%s never reaches src/config/, zod or yaml', (_, file) => {
    expect(violations(file)).toEqual([])
  })

  it('the check itself sees a violation (the compiler does import config/)', () => {
    expect(violations(join(SRC, 'compile/index.ts')).length).toBeGreaterThan(0)
  })
})
