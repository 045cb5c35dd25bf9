/**
 * `edgevoy validate -c FILE` — Envoy's `--mode validate`: exit 0 and a
 * one-screen summary, or exit 1 and every error with file:line:col.
 */
import { parseFlags, printHelp, UsageError } from './args.js'

const HELP = `Usage: edgevoy validate -c FILE [-c FILE…] [--target cloudflare|local]

Check an Envoy config (YAML or JSON, v3 or v2 shapes) the way edgevoy reads it.
Exit 0 with a summary of listeners, virtual hosts, routes and clusters, or
exit 1 with every error as FILE:LINE:COL: error: PATH: MESSAGE.

Options:
  -c, --config FILE     the Envoy config to check (repeat to check several;
                        exit 1 if any is rejected)
  --target T            cloudflare (default): also warn about endpoints a deployed
                        Worker's fetch() cannot reach (custom ports, IP addresses,
                        non-DNS names) unless they name a service binding;
                        local: skip those warnings (Miniflare reaches them)
  -h, --help            this help
`

export async function runValidate(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string', short: 'c', multiple: true },
    target: { type: 'string', default: 'cloudflare' },
  })
  if (values.help) return printHelp(HELP)
  if (!values.config?.length) throw new UsageError('missing -c FILE (see edgevoy validate --help)')
  if (values.target !== 'cloudflare' && values.target !== 'local') throw new UsageError(`--target must be cloudflare or local, got "${values.target}"`)
  let code = 0
  for (const file of values.config) code = Math.max(code, await validateFile(file, values.target))
  return code
}

async function validateFile(file: string, target: 'cloudflare' | 'local'): Promise<number> {
  // Loaded here, not at the top: `--help` and usage errors answer without loading the schemas.
  const [{ formatIssue }, { readConfig, reportErrors }, { summarize }, { cloudflareWarnings }] = await Promise.all([
    import('../config/issues.js'),
    import('./read-config.js'),
    import('./summary.js'),
    import('./cloudflare-checks.js'),
  ])
  const result = readConfig(file)
  if (!result.ok) return reportErrors(result)

  const out = [`${file}: OK`, ...summarize(result.snapshot)]
  const warnings = [...result.warnings, ...(target === 'cloudflare' ? cloudflareWarnings(result.snapshot) : [])]
  if (warnings.length) {
    out.push(`warnings (${warnings.length}):`)
    for (const w of warnings) out.push(`  ${formatIssue(w, file)}`)
  }
  process.stdout.write(`${out.join('\n')}\n`)
  return 0
}
