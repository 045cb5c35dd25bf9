/**
 * `edgevoy dev --watch` (issue 15): an edit of the config file is validated
 * and applied to the running server; a broken edit is reported with every
 * error and the last good config keeps serving. `--persist`: stored admin
 * versions shadowing the file are said out loud.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runCli, stopCli, type Cli } from './cli-process'

const answering = (body: string) => `static_resources:
  listeners:
  - name: edge
    address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: edge
          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
              log_format: { text_format: "ACCESS %REQ(:PATH)% %RESPONSE_CODE%\\n" }
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: "${body}" } } }]
          http_filters: [{ name: envoy.filters.http.router }]
`

const dir = mkdtempSync(join(tmpdir(), 'edgevoy-watch-'))
const running: Cli[] = []
afterAll(async () => {
  await Promise.all(running.map((c) => stopCli(c)))
})

async function until(cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('edgevoy dev --watch and --persist', () => {
  it('applies a good edit, reports a broken one with every error and keeps serving the last good config', async () => {
    const file = join(dir, 'watched.yaml')
    writeFileSync(file, answering('one'))
    const port = await freePort()
    const dev = runCli(['dev', '-c', file, '--port', String(port), '--watch'], { ADMIN_TOKEN: '' })
    running.push(dev)
    await dev.waitFor('watching')
    const body = async () => (await fetch(`http://127.0.0.1:${port}/`)).text()
    expect(await body()).toBe('one')
    // The listener has its own access log: dev prints that one line per request, not its own as well.
    await until(async () => dev.output().includes('ACCESS / 200'))
    expect(dev.output()).not.toContain('[edge] GET /')

    writeFileSync(file, answering('two'))
    await dev.waitFor('changed: applied')
    await until(async () => (await body().catch(() => '')) === 'two')

    writeFileSync(file, answering('three').replace('stat_prefix: edge', 'stat_prefix: edge\n          codec_type: HTTP9').replace('prefix: "/"', 'prefx: "/"'))
    await dev.waitFor('still serving the last good config')
    expect(dev.output()).toMatch(/codec_type[^\n]*HTTP9/)
    expect(dev.output()).toMatch(/unknown field "prefx"[^\n]*\n[^\n]*: 3 errors; still serving the last good config/)
    expect(await body()).toBe('two')
  })

  it('--persist says when config versions stored through the admin API shadow the file', async () => {
    const work = mkdtempSync(join(dir, 'persist-'))
    const file = join(work, 'c.yaml')
    writeFileSync(file, answering('file'))
    const port = await freePort()
    const start = async () => {
      // `.edgevoy/state` is relative to the working directory: run from a scratch one (the CLI path is absolute).
      const cli = runCli(['dev', '-c', file, '--port', String(port), '--persist', '--admin-token', 't'], { ADMIN_TOKEN: '' }, work)
      running.push(cli)
      await cli.waitFor('admin API on')
      return cli
    }
    const first = await start()
    const put = await fetch(`http://127.0.0.1:${port}/__admin/config`, { method: 'PUT', headers: { authorization: 'Bearer t', 'content-type': 'application/yaml' }, body: answering('admin') })
    expect(put.status).toBe(200)
    await stopCli(first)
    const second = await start()
    await second.waitFor('shadows')
    expect(second.output()).toContain(`serving config version 1, stored through the admin API`)
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('admin')
  })
})
