/**
 * `edgevoy deploy -c FILE [--listener NAME] [--dry-run] [-- wrangler args]` —
 * build the config (every error stops the deploy before wrangler runs), then
 * `wrangler deploy` with it as the Worker's base config. wrangler.toml's
 * `[build]` command runs `edgevoy build` again inside wrangler; the config
 * and listener reach it through EDGEVOY_BUILD_CONFIG / EDGEVOY_BUILD_LISTENER,
 * so nothing under src/ or routes/ is edited.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseFlags, printHelp, UsageError } from './args.js'
import { ROOT } from './bundle.js'

const HELP = `Usage: edgevoy deploy -c FILE [--listener NAME] [--dry-run] [--outdir DIR] [-- WRANGLER ARGS…]

Validate and compile an Envoy config, then deploy edgevoy to Cloudflare with
it as the base config (\`wrangler deploy\`, configured by wrangler.toml). An
invalid config stops here with every error; nothing is uploaded.

Options:
  -c, --config FILE     the Envoy config to deploy
  --listener NAME       the listener the Worker serves (default: the only or first)
  --dry-run             build and bundle, upload nothing (wrangler --dry-run)
  --outdir DIR          with --dry-run: where wrangler writes what it would
                        upload (default: a new temporary directory)
  -h, --help            this help
  -- ARGS               passed to wrangler deploy as they are (e.g. -- --env staging)

Before the first deploy: create the KV namespace and put its id in
wrangler.toml, and set the admin token (see docs/deploying.md).
`

export async function runDeploy(argv: string[]): Promise<number> {
  const split = argv.indexOf('--')
  const own = split < 0 ? argv : argv.slice(0, split)
  const passthrough = split < 0 ? [] : argv.slice(split + 1)
  const { values } = parseFlags(own, {
    config: { type: 'string', short: 'c' },
    listener: { type: 'string' },
    'dry-run': { type: 'boolean' },
    outdir: { type: 'string' },
  })
  if (values.help) return printHelp(HELP)
  if (!values.config) throw new UsageError('missing -c FILE (see edgevoy deploy --help)')
  if (values.outdir && !values['dry-run']) throw new UsageError('--outdir goes with --dry-run')
  const file = resolve(values.config)

  // Fail before wrangler starts: every error, and the Cloudflare warnings, in edgevoy's words.
  const { compileFile } = await import('./build.js')
  const compiled = await compileFile(values.config, values.listener)
  if (!compiled.ok) {
    for (const line of compiled.errors) process.stderr.write(`${line}\n`)
    const n = compiled.errors.length
    process.stderr.write(`${values.config}: ${n} error${n === 1 ? '' : 's'}, config rejected: nothing was deployed\n`)
    return 1
  }
  for (const w of compiled.warnings) process.stderr.write(`${w}\n`)
  process.stdout.write(`${values.config}: OK (listener ${compiled.listener}); running wrangler deploy${values['dry-run'] ? ' --dry-run' : ''}\n`)

  const args = ['deploy', ...(values['dry-run'] ? ['--dry-run', '--outdir', values.outdir ?? mkdtempSync(join(tmpdir(), 'edgevoy-deploy-'))] : []), ...(values.listener ? ['--var', `EDGEVOY_LISTENER:${values.listener}`] : []), ...passthrough]
  const env: NodeJS.ProcessEnv = { ...process.env, EDGEVOY_BUILD_CONFIG: file, EDGEVOY_BUILD_WARNED: '1', ...(values.listener ? { EDGEVOY_BUILD_LISTENER: values.listener } : {}) }
  return runWrangler(args, env)
}

/** wrangler from this package's dependencies, in the repository (where wrangler.toml is). */
function runWrangler(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const bin = createRequire(join(ROOT, 'package.json')).resolve('wrangler/bin/wrangler.js')
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: ROOT, env, stdio: 'inherit' })
    child.on('error', fail)
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)))
  })
}
