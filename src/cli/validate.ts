/**
 * `edgevoy validate -c FILE` — Envoy's `--mode validate`: exit 0 and a
 * one-screen summary, or exit 1 and every error with file:line:col.
 */
import type { ConfigIssue } from '../config/issues.js'
import { parseFlags, printHelp, UsageError } from './args.js'

const HELP = `Usage: edgevoy validate -c FILE [-c FILE…] [--target cloudflare|local] [--format text|json]

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
  --format F            text (default), or json: one JSON document on stdout,
                        { files: [{ file, ok, errors, warnings, listeners, clusters }] },
                        each issue { severity, code, path, line, column, message }
  -h, --help            this help
`

export async function runValidate(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string', short: 'c', multiple: true },
    target: { type: 'string', default: 'cloudflare' },
    format: { type: 'string', default: 'text' },
  })
  if (values.help) return printHelp(HELP)
  if (!values.config?.length) throw new UsageError('missing -c FILE (see edgevoy validate --help)')
  if (values.target !== 'cloudflare' && values.target !== 'local') throw new UsageError(`--target must be cloudflare or local, got "${values.target}"`)
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format must be text or json, got "${values.format}"`)
  const reports = []
  for (const file of values.config) reports.push(await checkFile(file, values.target))
  if (values.format === 'json') {
    process.stdout.write(`${JSON.stringify({ files: reports.map(({ text: _text, ...r }) => r) }, null, 2)}\n`)
  } else {
    for (const r of reports) {
      if (r.ok) process.stdout.write(`${r.text.join('\n')}\n`)
      else for (const line of r.text) process.stderr.write(`${line}\n`)
    }
  }
  return reports.every((r) => r.ok) ? 0 : 1
}

interface FileReport {
  readonly file: string
  readonly ok: boolean
  readonly errors: readonly ConfigIssue[]
  readonly warnings: readonly ConfigIssue[]
  readonly listeners?: readonly string[]
  readonly clusters?: readonly string[]
  /** The text form: the summary (ok) or every error with a count (rejected). */
  readonly text: readonly string[]
}

async function checkFile(file: string, target: 'cloudflare' | 'local'): Promise<FileReport> {
  // Loaded here, not at the top: `--help` and usage errors answer without loading the schemas.
  const [{ formatIssue }, { readConfig }, { summarize }, { cloudflareWarnings }, { shadowedRoutes }, { xdsLines }] = await Promise.all([
    import('../config/issues.js'),
    import('./read-config.js'),
    import('./summary.js'),
    import('./cloudflare-checks.js'),
    import('../compile/route-shadow.js'),
    import('./xds-summary.js'),
  ])
  const rejected = (errors: readonly ConfigIssue[], lines: readonly string[]): FileReport => ({
    file,
    ok: false,
    errors,
    warnings: [],
    text: [...lines, `${file}: ${lines.length} error${lines.length === 1 ? '' : 's'}, config rejected`],
  })
  const result = readConfig(file)
  if (!result.ok) return rejected(result.issues, result.errors)
  // An empty config, or one that serves nothing, was already refused by loadConfig (src/config/load.ts).
  const { snapshot } = result
  const warnings = [...result.warnings, ...shadowedRoutes(snapshot), ...(target === 'cloudflare' ? cloudflareWarnings(snapshot) : [])]
  const text = [`${file}: OK`, ...summarize(snapshot), ...xdsLines(result.json)]
  if (warnings.length) {
    text.push(`warnings (${warnings.length}):`)
    for (const w of warnings) text.push(`  ${formatIssue(w, file)}`)
  }
  return { file, ok: true, errors: [], warnings, listeners: snapshot.listeners.map((l) => l.name), clusters: [...snapshot.clusters.keys()], text }
}
