/**
 * `edgevoy pull --url URL --token T [-o FILE]` — fetch the config a running
 * edgevoy serves (GET /__admin/config?format=yaml), to stdout or a file.
 */
import { writeFileSync } from 'node:fs'
import { adminBase, adminFetch, adminToken, describeFailure } from './push.js'
import { parseFlags, printHelp } from './args.js'

const HELP = `Usage: edgevoy pull --url URL [--token T] [-o FILE]

Fetch the current config from a running edgevoy's admin API as YAML.

Options:
  --url URL             the Worker (or its admin API) URL
  --token T             admin token (default $ADMIN_TOKEN)
  -o, --output FILE     write here (default: stdout); the version goes to stderr
  -h, --help            this help
`

export async function runPull(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    url: { type: 'string' },
    token: { type: 'string' },
    output: { type: 'string', short: 'o' },
  })
  if (values.help) return printHelp(HELP)
  const base = adminBase(values.url)
  const res = await adminFetch(`${base}/config?format=yaml`, { headers: { authorization: `Bearer ${adminToken(values.token)}` } })
  if (!res.ok) {
    for (const line of await describeFailure(res)) process.stderr.write(`edgevoy pull: ${line}\n`)
    return 1
  }
  const text = await res.text()
  const version = (res.headers.get('etag') ?? '').replaceAll('"', '')
  if (values.output) {
    writeFileSync(values.output, text)
    process.stderr.write(`${values.output}: config version ${version}\n`)
  } else {
    process.stdout.write(text)
    process.stderr.write(`config version ${version}\n`)
  }
  return 0
}
