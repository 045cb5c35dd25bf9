/**
 * `edgevoy validate -c FILE`, run as a user runs it. Like Envoy's
 * `--mode validate` (https://www.envoyproxy.io/docs/envoy/latest/operations/cli#cmdoption-mode):
 * exit 0 for a config Envoy would accept, exit 1 with every error otherwise.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCliToEnd } from './cli-process'
import { anyHost, bootstrapYaml } from '../support/envoy-config'

const SEED = '/work/shared/seed/configs'
const seedConfigs = (() => {
  try {
    return readdirSync(SEED).filter((f) => f.endsWith('.yaml')).map((f) => join(SEED, f))
  } catch {
    return [] // the seed folder is outside the repo; routes/ holds the same configs
  }
})()
const routeConfigs = ['routes/front-envoy.yaml', 'routes/service-a.yaml', 'routes/service-b.yaml', 'routes/service-c.yaml']

const tmp = mkdtempSync(join(tmpdir(), 'edgevoy-validate-'))
const write = (name: string, text: string) => {
  const file = join(tmp, name)
  writeFileSync(file, text)
  return file
}

/** Three mistakes at once: a typo'd lb_policy, a route to a missing cluster, a lookahead regex (not RE2). */
const BAD = `static_resources:
  listeners:
    - name: listener_0
      address:
        socket_address: { address: 0.0.0.0, port_value: 10000 }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ingress_http
                route_config:
                  virtual_hosts:
                    - name: backend
                      domains: ["*"]
                      routes:
                        - match: { prefix: "/api" }
                          route: { cluster: missing_cluster }
                        - match:
                            safe_regex: { regex: "^/(?!admin).*" }
                          route: { cluster: service_a }
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
    - name: service_a
      connect_timeout: 0.25s
      type: STRICT_DNS
      lb_policy: ROUND_ROBBIN
      load_assignment:
        cluster_name: service_a
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: service_a, port_value: 8081 }
`

/** v3 config with one endpoint behind a service binding and one fetched by URL on a custom port. */
const BINDING = bootstrapYaml({
  virtual_hosts: anyHost([
    { match: { prefix: '/api' }, route: { cluster: 'api' } },
    { match: { prefix: '/' }, route: { cluster: 'web' } },
  ]),
  clusters: {
    api: { endpoints: ['api.internal:9000'], type: 'STRICT_DNS', metadata: { filter_metadata: { edgevoy: { binding: 'API' } } } },
    web: { endpoints: ['10.0.0.7:8443'], type: 'STRICT_DNS' },
  },
})

describe('edgevoy validate', () => {
  it('accepts every seed and routes/ config verbatim, with a summary', async () => {
    const files = [...seedConfigs, ...routeConfigs]
    // One process checks them all (`-c` repeated), each reported on its own: cheaper than 7 processes.
    const { code, output } = await runCliToEnd(['validate', ...files.flatMap((f) => ['-c', f])])
    expect(code, output).toBe(0)
    const reports = new Map(files.map((f, i) => [f, output.slice(output.indexOf(`${f}: OK`), i + 1 < files.length ? output.indexOf(`${files[i + 1]}: OK`) : undefined)]))
    for (const [file, report] of reports) {
      expect(report, file).toMatch(new RegExp(`^${file}: OK\n`))
      expect(report).toMatch(/listeners \(\d\):/)
      expect(report).toMatch(/clusters \(\d\):/)
    }
    const front = reports.get('routes/front-envoy.yaml')!
    expect(front).toContain('prefix / -> cluster service_a')
    expect(front).toContain('1 endpoint: service_a_envoy:8786')
    // A's sidecar has three listeners: say which one a deployed Worker serves.
    const a = reports.get('routes/service-a.yaml')!
    expect(a).toContain('note: 3 listeners')
    expect(a).toContain('EDGEVOY_LISTENER')
    expect(a).toContain('"service-a-svc-http-listener"')
  })

  it('rejects a config with three mistakes, naming each with its path and line', async () => {
    const file = write('bad.yaml', BAD)
    const { code, output } = await runCliToEnd(['validate', '-c', file])
    expect(code).toBe(1)
    // Every error as FILE:LINE:COL: error: PATH: MESSAGE.
    expect(output).toMatch(new RegExp(`${file}:30:\\d+: error: static_resources\\.clusters\\[0\\]\\.lb_policy: .*ROUND_ROBBIN.*did you mean "ROUND_ROBIN"`))
    expect(output).toMatch(new RegExp(`${file}:18:\\d+: error: static_resources\\.listeners\\[0\\].*routes\\[0\\]\\.route\\.cluster: .*missing_cluster`))
    expect(output).toMatch(new RegExp(`${file}:20:\\d+: error: static_resources\\.listeners\\[0\\].*routes\\[1\\]\\.match\\.safe_regex\\.regex: .*lookahead`))
    expect(output).toContain('3 errors')
  })

  it('warns about endpoints a deployed Worker cannot fetch, unless they name a service binding', async () => {
    // https://developers.cloudflare.com/workers/platform/known-issues/ (custom ports, fetch to IP addresses)
    const file = write('binding.yaml', BINDING)
    const [cloudflare, local] = await Promise.all([runCliToEnd(['validate', '-c', file]), runCliToEnd(['validate', '-c', file, '--target', 'local'])])
    expect(cloudflare.code).toBe(0)
    expect(cloudflare.output).toContain('1 endpoint: api.internal:9000 (binding API)')
    expect(cloudflare.output).toMatch(/warning: .*cluster web endpoint 10\.0\.0\.7:8443: .*IP-address.*ignores port 8443/)
    expect(cloudflare.output).not.toMatch(/cluster api endpoint/)

    expect(local.code).toBe(0)
    expect(local.output).not.toContain('cluster web endpoint')
  })

  it('explains usage mistakes', async () => {
    const [missing, noFile, help] = await Promise.all([
      runCliToEnd(['validate']),
      runCliToEnd(['validate', '-c', join(tmp, 'nope.yaml')]),
      runCliToEnd(['validate', '--help']),
    ])
    expect(missing.code).toBe(1)
    expect(missing.output).toContain('missing -c FILE')
    expect(noFile.code).toBe(1)
    expect(noFile.output).toContain('nope.yaml: error: cannot read config: no such file')
    expect(help.code).toBe(0)
    expect(help.output).toContain('Usage: edgevoy validate -c FILE')
  })
})
