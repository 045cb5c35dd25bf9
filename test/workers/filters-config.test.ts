/**
 * http_filters validation at load time: unknown filters, optional filters,
 * and bad filter configs reported with their path and line, like every other
 * config error. Envoy rejects an unknown filter unless it is `is_optional`:
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#extensions-filters-network-http-connection-manager-v3-httpfilter
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import exampleYaml from '../../routes/examples/edge-policies.yaml'
import { bootstrap } from '../support/filters-harness'

const load = (filters: unknown[]) => loadConfig(JSON.stringify(bootstrap(1, [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'upstream' } }] }], filters), null, 2))
const router = { name: 'envoy.filters.http.router' }

describe('http_filters validation', () => {
  it('names an unknown filter in the error', () => {
    const r = load([{ name: 'envoy.filters.http.ext_proc' }, router])
    expect(r.ok).toBe(false)
    expect(r.errors.map((e) => e.message).join('\n')).toContain('"envoy.filters.http.ext_proc" is not implemented')
  })

  it('warns about an unknown filter marked is_optional', () => {
    const r = load([{ name: 'envoy.filters.http.ext_proc', is_optional: true }, router])
    expect(r.ok).toBe(true)
    expect(r.warnings.map((e) => e.message).join('\n')).toContain('optional HTTP filter "envoy.filters.http.ext_proc"')
  })

  it('reports a bad field inside typed_config with its path and line', () => {
    const r = load([{ name: 'envoy.filters.http.local_ratelimit', typed_config: { stat_prefix: 'rl', token_bukket: {} } }, router])
    expect(r.ok).toBe(false)
    const e = r.errors.find((x) => x.message.includes('token_bukket'))!
    expect(e.message).toContain('did you mean "token_bucket"')
    expect(e.path.join('.')).toContain('http_filters.0.typed_config.token_bukket')
    expect(e.line).toBeGreaterThan(1)
  })

  it('rejects a jwt rule that names a provider that does not exist', () => {
    const r = load([{ name: 'envoy.filters.http.jwt_authn', typed_config: { providers: { a: { local_jwks: { inline_string: '{"keys":[]}' } } }, rules: [{ match: { prefix: '/' }, requires: { provider_name: 'b' } }] } }, router])
    expect(r.ok).toBe(false)
    expect(r.errors.map((e) => e.message).join('\n')).toContain('unknown JWT provider "b"')
  })

  it('checks typed_per_filter_config and cors policies at load time, with path and line', () => {
    const routes = [
      { match: { prefix: '/a' }, route: { cluster: 'upstream', cors: { allow_origin_string_match: [{ exact: 'x' }], max_agee: '1' } } },
      { match: { prefix: '/' }, route: { cluster: 'upstream' }, typed_per_filter_config: { 'envoy.filters.http.jwt_authn': { '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig', disabledd: true } } },
    ]
    const config = bootstrap(1, [{ name: 'v', domains: ['*'], routes, typed_per_filter_config: { 'envoy.filters.http.rbac': { rbac: { rules: { action: 'MAYBE' } } } } }], [
      { name: 'envoy.filters.http.jwt_authn', typed_config: { providers: {} } },
      { name: 'envoy.filters.http.rbac' },
      router,
    ])
    const r = loadConfig(JSON.stringify(config, null, 2))
    expect(r.ok).toBe(false)
    const byField = (f: string) => r.errors.find((e) => e.message.includes(f) || e.path.join('.').includes(f))
    expect(byField('max_agee')?.path.join('.')).toContain('routes.0.route.cors.max_agee')
    expect(byField('disabledd')?.path.join('.')).toContain('routes.1.typed_per_filter_config.envoy.filters.http.jwt_authn.disabledd')
    expect(byField('MAYBE')?.path.join('.')).toContain('virtual_hosts.0.typed_per_filter_config.envoy.filters.http.rbac.rbac.rules.action')
    for (const f of ['max_agee', 'disabledd', 'MAYBE']) expect(byField(f)?.line).toBeGreaterThan(1)
  })

  it('warns when local_jwks is not a JWKS', () => {
    const r = load([{ name: 'envoy.filters.http.jwt_authn', typed_config: { providers: { a: { local_jwks: { inline_string: 'not json' } } } } }, router])
    expect(r.ok).toBe(true)
    expect(r.warnings.map((w) => w.message).join('\n')).toContain('local_jwks is not a JWKS')
  })

  it('accepts v2 names and config: (envoy.cors, envoy.router)', () => {
    const r = load([{ name: 'envoy.cors', config: {} }, { name: 'envoy.router', config: {} }])
    expect(r.errors).toEqual([])
  })

  it('the shipped example routes/examples/edge-policies.yaml validates', () => {
    const r = loadConfig(exampleYaml)
    expect(r.errors).toEqual([])
  })
})
