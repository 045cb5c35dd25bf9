/**
 * The 140 public Envoy bootstraps in ../shared/corpus/real-envoy-configs
 * (origins in its MANIFEST.md), validated in-process through the same
 * readConfig the CLI's `validate` uses. Each file must land in the class its
 * expectation says — shared expect.json, overridden by test/corpus/expect.json
 * for files whose class changed (each with the reason). Any crash fails, and
 * so does a file whose class moved without its expectation being updated.
 * The whole runner (`node ../shared/corpus/real-envoy-configs/run.mjs`, and
 * `--smoke` for edgevoy dev) stays the reference; this is its fast form.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readConfig } from '../../src/cli/read-config'

const HERE = dirname(fileURLToPath(import.meta.url))
/** `../shared/corpus` beside the checkout (main), or beside an ancestor of it (a worktree under /work/wt/NAME). */
function corpusDir(): string {
  let dir = join(HERE, '..', '..')
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, '..', 'shared', 'corpus', 'real-envoy-configs')
    if (existsSync(candidate)) return candidate
    dir = join(dir, '..')
  }
  return join(HERE, '..', '..', '..', 'shared', 'corpus', 'real-envoy-configs')
}
const CORPUS = corpusDir()
const FILES = join(CORPUS, 'files')

type Expectation = { class: 'A' | 'B' | 'C' | 'D'; reason?: string }
const list = (dir: string): string[] =>
  readdirSync(dir).sort().flatMap((n) => (statSync(join(dir, n)).isDirectory() ? list(join(dir, n)) : /\.(ya?ml|json)$/.test(n) ? [join(dir, n)] : []))

describe.skipIf(!existsSync(FILES))('real-world Envoy configs', () => {
  it('each lands in its expected class; none crashes', () => {
    const shared = JSON.parse(readFileSync(join(CORPUS, 'expect.json'), 'utf8')).files as Record<string, Expectation>
    const ours = JSON.parse(readFileSync(join(HERE, '..', 'corpus', 'expect.json'), 'utf8')).files as Record<string, Expectation>
    const wrong: string[] = []
    const counts = { A: 0, B: 0, C: 0, D: 0 }
    for (const full of list(FILES)) {
      const file = relative(FILES, full).split(sep).join('/')
      const expected = (ours[file] ?? shared[file])?.class
      let observed: 'accepted' | 'rejected'
      try {
        observed = readConfig(full).ok ? 'accepted' : 'rejected'
      } catch (e) {
        wrong.push(`${file}: crashed: ${e instanceof Error ? e.stack : String(e)}`)
        continue
      }
      if (expected === undefined) wrong.push(`${file}: no expectation (add it to test/corpus/expect.json)`)
      else if ((expected === 'A') !== (observed === 'accepted'))
        wrong.push(`${file}: expected class ${expected}, now ${observed} (update test/corpus/expect.json with the reason)`)
      else counts[expected]++
    }
    console.log(`real-envoy-configs: accepted=${counts.A} clear-reject=${counts.B} wrong-reject=${counts.C} unclear=${counts.D}`)
    expect(wrong).toEqual([])
  })
})
