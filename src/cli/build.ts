/**
 * `edgevoy build -c FILE [--listener NAME] [--out PATH] [--worker DIR]` —
 * compile where the config is written: validate (every error, exit 1),
 * compile, and write the serialized snapshot isolates load without zod or
 * yaml. With --worker, also the deployable Worker for wrangler (what the
 * `[build]` command in wrangler.toml runs, so plain `wrangler deploy` compiles
 * too and a broken config fails every deploy path).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { parseFlags, printHelp, UsageError } from './args.js'

const HELP = `Usage: edgevoy build -c FILE [--listener NAME] [--out PATH] [--worker DIR]

Validate an Envoy config and compile it into the serialized snapshot a
deployed edgevoy serves. Exit 1 with every error if the config is invalid.

Options:
  -c, --config FILE     the Envoy config (YAML or JSON, v3 or v2 shapes)
  --listener NAME       the listener the Worker serves (default: the only or
                        first one; EDGEVOY_LISTENER still overrides it at run time)
  --out PATH            where to write the serialized snapshot
                        (default: dist/edgevoy/snapshot.json)
  --worker DIR          also write the deployable Worker there: an entry
                        module (DIR/index.mjs, the data plane) and the
                        control plane's chunks beside it
  --quiet               print errors only
  -h, --help            this help

Environment: EDGEVOY_BUILD_CONFIG and EDGEVOY_BUILD_LISTENER, when set,
replace -c and --listener (\`edgevoy deploy\` sets them for wrangler's [build]).
`

export const DEFAULT_SNAPSHOT_OUT = 'dist/edgevoy/snapshot.json'

export async function runBuild(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string', short: 'c' },
    listener: { type: 'string' },
    out: { type: 'string' },
    worker: { type: 'string' },
    quiet: { type: 'boolean' },
  })
  if (values.help) return printHelp(HELP)
  const file = process.env.EDGEVOY_BUILD_CONFIG || values.config
  if (!file) throw new UsageError('missing -c FILE (see edgevoy build --help)')
  const listener = process.env.EDGEVOY_BUILD_LISTENER || values.listener
  const say = (line: string) => values.quiet || process.stdout.write(`${line}\n`)

  const compiled = await compileFile(file, listener)
  if (!compiled.ok) {
    for (const line of compiled.errors) process.stderr.write(`${line}\n`)
    const n = compiled.errors.length
    process.stderr.write(`${file}: ${n} error${n === 1 ? '' : 's'}, config rejected: nothing was built\n`)
    return 1
  }
  // `edgevoy deploy` has printed these already, before wrangler ran this build (EDGEVOY_BUILD_WARNED).
  if (!process.env.EDGEVOY_BUILD_WARNED) for (const w of compiled.warnings) process.stderr.write(`${w}\n`)

  const out = resolve(values.out ?? DEFAULT_SNAPSHOT_OUT)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, compiled.base.snapshot)
  say(`${file}: OK → ${relative(process.cwd(), out)} (${kib(compiled.base.snapshot.length)}, listener ${compiled.listener})`)

  if (values.worker) {
    const { buildWorker } = await import('./worker-build.js')
    const w = await buildWorker(compiled.base, values.worker)
    const gz = (which: (m: (typeof w.modules)[number]) => boolean) => w.modules.filter(which).reduce((n, m) => n + gzipSync(readFileSync(m.path)).length, 0)
    const [entry, lazy, control] = [gz((m) => m.dataPlane), gz((m) => m.lazy), gz((m) => !m.dataPlane && !m.lazy)]
    say(`Worker → ${relative(process.cwd(), w.entry)}: data plane ${kib(entry)} gzip + ${kib(lazy)} of filters, balancers and the regex engine (each imported when a snapshot names it), control plane ${kib(control)} gzip (loaded on first admin/authority use)`)
  }
  return 0
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

export type Compiled =
  | { ok: true; base: import('../state/base.js').BuiltBase; listener: string; warnings: string[] }
  | { ok: false; errors: string[] }

/** Validate, compile and serialize one config file as version 0 (the base), with the Cloudflare warnings. */
export async function compileFile(file: string, listener: string | undefined): Promise<Compiled> {
  const [{ readConfig }, { loadConfig }, { formatIssue }, { cloudflareWarnings }, { compileAndSerialize }, { baseHashOf }] = await Promise.all([
    import('./read-config.js'),
    import('../config/load.js'),
    import('../config/issues.js'),
    import('./cloudflare-checks.js'),
    import('../state/compile-snapshot.js'),
    import('../state/base-hash.js'),
  ])
  const { needsXdsPoller } = await import('../state/xds-polled.js')
  const read = readConfig(file)
  if (!read.ok) return { ok: false, errors: read.errors }
  const loaded = loadConfig(read.text, { filename: file })
  if (!loaded.ok) return { ok: false, errors: loaded.errors.map((e) => formatIssue(e, file)) }
  const { snapshot, text } = compileAndSerialize(loaded.config, { version: '0' })
  const names = snapshot.listeners.map((l) => l.name)
  if (listener !== undefined && !names.includes(listener)) return { ok: false, errors: [`${file}: error: no listener named "${listener}" (have: ${names.join(', ') || 'none'})`] }
  const warnings = [...read.warnings, ...cloudflareWarnings(read.snapshot)].map((w) => formatIssue(w, file))
  const source = loaded.config.json as { dynamic_resources?: unknown }
  return {
    ok: true,
    listener: listener ?? names[0] ?? '(none yet: dynamic_resources)',
    warnings,
    base: { snapshot: text, sourceText: JSON.stringify(source), sourceHash: baseHashOf(source), xdsPolled: needsXdsPoller(source), listener, file },
  }
}
