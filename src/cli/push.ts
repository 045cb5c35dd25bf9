/**
 * `edgevoy push -c FILE --url URL --token T` — validate a config locally
 * (exactly as `validate` does), then replace the deployed one with
 * `PUT /__admin/config` and print the new version.
 */
import { parseFlags, printHelp, UsageError } from './args.js'
import { readConfig, reportErrors } from './read-config.js'

const HELP = `Usage: edgevoy push -c FILE --url URL [--token T] [--if-match VERSION] [--force]

Validate an Envoy config locally, then send it to a running edgevoy's admin
API (PUT /__admin/config). Prints the new config version.

Options:
  -c, --config FILE     the Envoy config (YAML or JSON)
  --url URL             the Worker (or its admin API) URL
  --token T             admin token (default $ADMIN_TOKEN)
  --if-match VERSION    only replace this version (else 412, nothing changed)
  --force               replace it even if it lacks the listener the Worker
                        serves (EDGEVOY_LISTENER; else 409, nothing changed)
  -h, --help            this help
`

// ── Shared with pull.ts: where the admin API is and how to read its errors. ──
// `--url` is the Worker's URL (the admin prefix is added) or the admin API's
// own URL (ending in the prefix); the token comes from `--token` or $ADMIN_TOKEN.
export const ADMIN_PREFIX = '/__admin'

export function adminBase(url: string | undefined, prefix = ADMIN_PREFIX): string {
  if (!url) throw new UsageError('missing --url URL (the Worker, e.g. https://edgevoy.example.workers.dev)')
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new UsageError(`--url must be a URL, got "${url}"`)
  }
  const path = u.pathname.replace(/\/+$/, '')
  return `${u.origin}${path.endsWith(prefix) ? path : path + prefix}`
}

export function adminToken(flag: string | undefined): string {
  const token = flag ?? process.env.ADMIN_TOKEN
  if (!token) throw new UsageError('missing --token T (or $ADMIN_TOKEN)')
  return token
}

/** An admin error body `{ error: { code, message, details } }` as printable lines. */
export async function describeFailure(res: Response): Promise<string[]> {
  const text = await res.text()
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string; details?: unknown[] } }
    const details = (error.details ?? []).map((d) => {
      const i = d as { path?: (string | number)[]; message?: string; line?: number }
      return typeof d === 'object' && d && i.message ? `  ${i.line !== undefined ? `line ${i.line}: ` : ''}${(i.path ?? []).join('.')}: ${i.message}` : `  ${JSON.stringify(d)}`
    })
    return [`${res.status} ${error.code}: ${error.message}`, ...details]
  } catch {
    return [`${res.status} ${res.statusText}${text ? `: ${text}` : ''}`]
  }
}

export async function runPush(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string', short: 'c' },
    url: { type: 'string' },
    token: { type: 'string' },
    'if-match': { type: 'string' },
    force: { type: 'boolean' },
  })
  if (values.help) return printHelp(HELP)
  if (!values.config) throw new UsageError('missing -c FILE (see edgevoy push --help)')
  const base = adminBase(values.url)
  const token = adminToken(values.token)
  const result = readConfig(values.config)
  if (!result.ok) return reportErrors(result)

  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' }
  if (values['if-match']) headers['if-match'] = `"${values['if-match'].replaceAll('"', '')}"`
  const res = await fetch(`${base}/config${values.force ? '?force=true' : ''}`, { method: 'PUT', headers, body: result.text })
  if (!res.ok) {
    for (const line of await describeFailure(res)) process.stderr.write(`edgevoy push: ${line}\n`)
    return 1
  }
  const { version, warnings } = (await res.json()) as { version: number; warnings: unknown[] }
  process.stdout.write(`${values.config}: pushed, config version ${version}${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}\n`)
  return 0
}
