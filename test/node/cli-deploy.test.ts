/**
 * `edgevoy build` and `edgevoy deploy --dry-run` as a user runs them: the
 * article's front config and the examples deploy (with the Cloudflare
 * warnings), an invalid config stops the deploy with every error before
 * wrangler runs, and plain `wrangler deploy` compiles too (wrangler.toml's
 * [build]), so a broken config fails that path as well.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, runCliToEnd } from './cli-process'

const WRANGLER_ENV = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' }
const dirs: string[] = []
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `edgevoy-${name}-`))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** What wrangler would upload: the entry and the control plane's chunks beside it. */
const uploaded = (outdir: string) => ['index.mjs', ...readdirSync(join(outdir, 'chunks')).map((f) => `chunks/${f}`)]

describe('edgevoy deploy --dry-run', () => {
  it("deploys the article's front config and every routes/examples config, each built from its own file", async () => {
    const configs = ['routes/front-envoy.yaml', ...readdirSync(join(ROOT, 'routes/examples')).filter((f) => f.endsWith('.yaml')).map((f) => `routes/examples/${f}`)]
    // One after another: every deploy builds into the dist/worker/ that wrangler.toml names.
    const runs = []
    for (const config of configs) {
      const outdir = tmp('deploy')
      runs.push({ config, outdir, ...(await runCliToEnd(['deploy', '-c', config, '--dry-run', '--outdir', outdir], WRANGLER_ENV)) })
    }
    for (const run of runs) {
      expect(run.code, run.output).toBe(0)
      expect(run.output).toContain('--dry-run: exiting now')
      const files = uploaded(run.outdir)
      expect(files.some((f) => f.startsWith('chunks/control-plane-')), files.join(', ')).toBe(true)
      // The deployed base is this config: its first cluster's name (or, with no clusters, its first listener's) is in the built entry.
      const text = readFileSync(join(ROOT, run.config), 'utf8')
      const first = (/clusters:\s*\n\s*-\s*name:\s*"?([\w.-]+)/.exec(text) ?? /listeners:\s*\n\s*-\s*name:\s*"?([\w.-]+)/.exec(text))![1]!
      expect(readFileSync(join(run.outdir, 'index.mjs'), 'utf8').includes(`"name":"${first}"`), `${run.config}: ${first}`).toBe(true)
    }
    // The article's front config: what a deployed Worker cannot reach, said before the upload.
    expect(runs[0]!.output).toMatch(/warning: .*service_a_envoy.*(not a public DNS name|ignores port)/)
    // …once: wrangler's [build] step compiles the same file again but does not repeat them.
    expect(runs[0]!.output.match(/warning: .*service_a_envoy/g)).toHaveLength(1)
  }, 240_000)

  it('refuses an invalid config with every error, and never starts wrangler', async () => {
    const outdir = tmp('refused')
    const { code, output } = await runCliToEnd(['deploy', '-c', 'test/fixtures/three-errors.yaml', '--dry-run', '--outdir', outdir], WRANGLER_ENV)
    expect(code).toBe(1)
    expect(output).toContain('lookahead (?=...) is not supported by RE2')
    expect(output).toContain('route names cluster "api", which is not defined')
    expect(output).toContain('invalid value "ROUND_ROBBIN"')
    expect(output).toContain('3 errors, config rejected: nothing was deployed')
    expect(output).not.toContain('wrangler')
    expect(existsSync(join(outdir, 'index.mjs'))).toBe(false)
  }, 60_000)

  it('plain wrangler deploy runs edgevoy build too: a broken config fails that path with every error', async () => {
    const outdir = tmp('wrangler')
    const bin = createRequire(join(ROOT, 'package.json')).resolve('wrangler/bin/wrangler.js')
    const result = await new Promise<{ code: number; output: string }>((done) =>
      execFile(process.execPath, [bin, 'deploy', '--dry-run', '--outdir', outdir], { cwd: ROOT, env: { ...process.env, ...WRANGLER_ENV, EDGEVOY_BUILD_CONFIG: join(ROOT, 'test/fixtures/three-errors.yaml') } }, (err, stdout, stderr) =>
        done({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, output: stdout + stderr }),
      ),
    )
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('[custom build]')
    expect(result.output).toContain('3 errors, config rejected')
    expect(existsSync(join(outdir, 'index.mjs'))).toBe(false)
  }, 120_000)
})

describe('edgevoy build', () => {
  it('writes the serialized snapshot; --listener must name one of the config\'s listeners', async () => {
    const out = join(tmp('build'), 'snap.json')
    const ok = await runCliToEnd(['build', '-c', 'routes/front-envoy.yaml', '--out', out])
    expect(ok.code, ok.output).toBe(0)
    expect(readFileSync(out, 'utf8').length).toBeGreaterThan(100)
    const bad = await runCliToEnd(['build', '-c', 'routes/front-envoy.yaml', '--listener', 'nope', '--out', out])
    expect(bad.code).toBe(1)
    expect(bad.output).toContain('no listener named "nope" (have: http_listener)')
  }, 60_000)
})
