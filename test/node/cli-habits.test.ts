/**
 * CLI habits users expect (issue 15): `--version`, `validate --format json`,
 * `schema`, an empty file rejected, shadowed routes warned about (in
 * `validate` and on admin writes), one-line errors for unreachable URLs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { freePort, runCliToEnd } from './cli-process'
import { bootstrapYaml } from '../support/envoy-config'

const tmp = mkdtempSync(join(tmpdir(), 'edgevoy-habits-'))
const write = (name: string, text: string) => {
  const file = join(tmp, name)
  writeFileSync(file, text)
  return file
}

const withRoutes = (routes: unknown[]) => bootstrapYaml({ virtual_hosts: [{ name: 'main', domains: ['*'], routes }], clusters: { web: [9000] } })

describe('edgevoy CLI habits', () => {
  it('--version prints the package version', async () => {
    const { code, output } = await runCliToEnd(['--version'])
    expect(code).toBe(0)
    expect(output).toMatch(/^edgevoy 0\.\d+\.\d+ \(node /)
  })

  it('validate --format json: every issue with path, line and column; exit 1', async () => {
    const { code, output } = await runCliToEnd(['validate', '-c', 'test/fixtures/three-errors.yaml', '--format', 'json'])
    expect(code).toBe(1)
    const report = JSON.parse(output) as { files: { file: string; ok: boolean; errors: { code: string; path: (string | number)[]; line: number; column: number; message: string }[] }[] }
    expect(report.files).toHaveLength(1)
    expect(report.files[0]!.ok).toBe(false)
    expect(report.files[0]!.errors).toHaveLength(3)
    const lb = report.files[0]!.errors.find((e) => e.path.join('.') === 'static_resources.clusters.0.lb_policy')!
    expect(lb).toMatchObject({ code: 'invalid_enum', line: expect.any(Number), column: expect.any(Number) })
    expect(lb.message).toContain('ROUND_ROBBIN')

    const ok = JSON.parse((await runCliToEnd(['validate', '-c', 'routes/front-envoy.yaml', '--format', 'json', '--target', 'local'])).output) as { files: { ok: boolean; listeners: string[]; clusters: string[] }[] }
    expect(ok.files[0]).toMatchObject({ ok: true, listeners: ['http_listener'], clusters: ['service_a'] })
  })

  it('an empty file is not OK', async () => {
    const { code, output } = await runCliToEnd(['validate', '-c', write('empty.yaml', '')])
    expect(code).toBe(1)
    expect(output).toContain('error: (root): the config is empty')
    expect(output).toContain('1 error, config rejected')
  })

  it('warns about a route that an earlier route always takes first; the summary names each matcher once', async () => {
    const file = write(
      'shadow.yaml',
      withRoutes([
        { name: 'beta', match: { prefix: '/', headers: [{ name: 'x-beta', string_match: { exact: '1' } }] }, route: { cluster: 'web' } },
        { name: 'all', match: { prefix: '/' }, route: { cluster: 'web' } },
        { name: 'api', match: { prefix: '/api/' }, route: { cluster: 'web' } },
      ]),
    )
    const { code, output } = await runCliToEnd(['validate', '-c', file, '--target', 'local'])
    expect(code).toBe(0)
    expect(output).toContain('route "api" of virtual host "main" can never match: route "all" before it (prefix "/")')
    expect(output).not.toContain('route "all" of virtual host') // after a header-matching route: reachable
    expect(output).toContain('prefix /, header x-beta')
    expect(output).not.toMatch(/header header/)
  })

  it('schema prints a JSON Schema of the config', async () => {
    const { code, output } = await runCliToEnd(['schema'])
    expect(code).toBe(0)
    const schema = JSON.parse(output) as { $schema: string; properties: { static_resources: { properties: Record<string, unknown> } } }
    expect(schema.$schema).toContain('json-schema.org')
    expect(Object.keys(schema.properties.static_resources.properties)).toEqual(expect.arrayContaining(['listeners', 'clusters']))
  })

  it('push and pull to a URL nothing listens on: one line saying so', async () => {
    const url = `http://127.0.0.1:${await freePort()}`
    const push = await runCliToEnd(['push', '-c', 'routes/front-envoy.yaml', '--url', url, '--token', 't'])
    expect(push.code).toBe(1)
    expect(push.output.trim()).toBe(`edgevoy push: cannot reach ${url}: connection refused (is edgevoy running there?)`)
    const pull = await runCliToEnd(['pull', '--url', url, '--token', 't'])
    expect(pull.output.trim()).toBe(`edgevoy pull: cannot reach ${url}: connection refused (is edgevoy running there?)`)
  })
})
