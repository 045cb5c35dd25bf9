/**
 * `edgevoy validate` and `edgevoy push` with input that would serve nothing,
 * run as a user runs them: an empty file, `{}`, `null`, a config without a
 * listener, 10,000-deep nesting and duplicate keys are errors (exit 1), and
 * push sends nothing. The admin API refuses the same bodies
 * (test/workers/admin-input.test.ts): one rule everywhere.
 * Envoy's `--mode validate` refuses a Bootstrap it could not serve:
 * https://www.envoyproxy.io/docs/envoy/latest/operations/cli#cmdoption-mode
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, runCliToEnd } from './cli-process'

const tmp = mkdtempSync(join(tmpdir(), 'edgevoy-input-'))
const write = (name: string, text: string) => {
  const file = join(tmp, name)
  writeFileSync(file, text)
  return file
}

const CASES: [string, string, RegExp][] = [
  ['empty.yaml', '', /the config is empty/],
  ['blank.yaml', '\n   \n# only a comment\n', /the config is empty/],
  ['braces.json', '{}', /no listeners/],
  ['null.json', 'null', /the config is empty/],
  ['list.yaml', '- a\n- b\n', /must be a mapping/],
  ['clusters-only.yaml', 'static_resources:\n  clusters:\n    - name: a\n      type: STATIC\n', /no listeners/],
  ['deep.json', '{"static_resources":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}', /nests deeper than 100 levels/],
  ['duplicate.json', '{"static_resources": {}, "static_resources": {}}', /unique/i],
]

describe('edgevoy validate', () => {
  it('refuses each of them (exit 1), with its own reason, and calls none OK', async () => {
    // One process for all the files (validate takes -c repeatedly): each CLI start costs seconds.
    const files = CASES.map(([name, text]) => write(name, text))
    const { code, output } = await runCliToEnd(['validate', ...files.flatMap((f) => ['-c', f])])
    expect(code).toBe(1)
    const lines = output.split('\n')
    CASES.forEach(([name, , message], i) => {
      const mine = lines.filter((l) => l.startsWith(files[i]!)).join('\n')
      expect(mine, name).toMatch(message)
      expect(mine, name).toMatch(/config rejected/)
      expect(mine, name).not.toMatch(/: OK/)
    })
  })
})

describe('edgevoy push', () => {
  let requests = 0
  let url = ''
  const seen: string[] = []
  // Stands in for an admin API whose Worker serves a listener the pushed config lacks.
  const server = createServer((req, res) => {
    requests++
    seen.push(req.url ?? '')
    req.resume()
    if (!(req.url ?? '').includes('force=true'))
      return void res.writeHead(409, { 'content-type': 'application/json' }).end('{"error":{"code":"listener_missing","message":"the config has no listener \\"edge\\"","details":[]}}')
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":1,"warnings":[]}')
  })
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  // push reads files through the same readConfig as validate: three representatives.
  it.each(CASES.filter(([name]) => ['empty.yaml', 'braces.json', 'deep.json'].includes(name)))('%s → exit 1 and nothing is sent', async (name, text, message) => {
    const before = requests
    const { code, output } = await runCliToEnd(['push', '-c', write(`push-${name}`, text), '--url', url, '--token', 't'])
    expect(code).toBe(1)
    expect(output).toMatch(message)
    expect(requests).toBe(before)
  })

  it('a 409 listener_missing is reported (exit 1); --force sends ?force=true', async () => {
    const file = `${ROOT}/routes/front-envoy.yaml`
    const refused = await runCliToEnd(['push', '-c', file, '--url', url, '--token', 't'])
    expect(refused.code).toBe(1)
    expect(refused.output).toMatch(/409 listener_missing/)
    const forced = await runCliToEnd(['push', '-c', file, '--url', url, '--token', 't', '--force'])
    expect(forced.code).toBe(0)
    expect(seen.at(-1)).toBe('/__admin/config?force=true')
  })
})
