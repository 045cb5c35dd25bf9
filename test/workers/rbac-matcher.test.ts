/**
 * RBAC's unified `matcher` (xds.type.matcher.v3.Matcher) through the real
 * router app inside workerd, forwarding to the echo upstream: header inputs
 * (pseudo-headers `:path`, `:method` included), the source IP with the Ip
 * matcher, matcher trees, nested matchers, on_no_match, shadow_matcher, and
 * Envoy's default: a request no matcher matches is denied.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/rbac/v3/rbac.proto
 * (source/extensions/filters/common/rbac/engine_impl.cc RoleBasedAccessControlMatcherEngineImpl::handleAction)
 */
import { describe, expect, inject, it } from 'vitest'
import { validateConfig } from '../../src/config/load'
import { StatsStore } from '../../src/observability/stats'
import { bootstrap, harness } from '../support/filters-harness'

const upstream = inject('upstreams').a!
const T = 'type.googleapis.com/'
const header = (name: string) => ({ name: 'envoy.matching.inputs.request_headers', typed_config: { '@type': `${T}envoy.type.matcher.v3.HttpRequestHeaderMatchInput`, header_name: name } })
const sourceIp = { name: 'ip', typed_config: { '@type': `${T}envoy.extensions.matching.common_inputs.network.v3.SourceIPInput` } }
const action = (name: string, a: 'ALLOW' | 'DENY' | 'LOG') => ({ action: { name: 'action', typed_config: { '@type': `${T}envoy.config.rbac.v3.Action`, name, action: a } } })
const single = (input: unknown, value_match: unknown) => ({ single_predicate: { input, value_match } })
const rbac = (fields: Record<string, unknown>) => ({ name: 'envoy.filters.http.rbac', typed_config: { '@type': `${T}envoy.extensions.filters.http.rbac.v3.RBAC`, ...fields } })
const routes = [{ name: 'r', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'upstream' } }] }]
const app = (filter: unknown, stats?: StatsStore) => harness(bootstrap(upstream, routes, [filter, { name: 'envoy.filters.http.router' }]), undefined, { stats })

describe('RBAC matcher: a matcher list', () => {
  // Envoy's own example (examples/rbac/envoy.yaml): deny a referer outside the docs, allow the rest.
  const example = rbac({
    matcher: {
      matcher_list: {
        matchers: [{ predicate: { not_matcher: single(header('referer'), { safe_regex: { regex: 'https?://(www.)?envoyproxy.io/docs/envoy.*' } }) }, on_match: action('illegal-referer', 'DENY') }],
      },
      on_no_match: action('all-pass', 'ALLOW'),
    },
  })

  it("Envoy's RBAC example: a request without the docs referer is denied (403 RBAC: access denied), one with it reaches the upstream", async () => {
    const stats = new StatsStore({ isolateId: 'rbac-matcher' })
    const h = app(example, stats)
    const denied = await h.fetch('/x')
    expect([denied.status, await denied.text()]).toEqual([403, 'RBAC: access denied'])
    expect((await h.fetch('/x', { headers: { referer: 'https://evil.example/' } })).status).toBe(403)
    const allowed = await h.fetch('/x', { headers: { referer: 'https://www.envoyproxy.io/docs/envoy/latest/' } })
    expect(allowed.status).toBe(200)
    expect(allowed.headers.get('x-upstream-id')).toBe('a')
    expect(stats.counters.get('http.ingress.rbac.denied')).toBe(2)
    expect(stats.counters.get('http.ingress.rbac.allowed')).toBe(1)
  })

  it('the first matching predicate wins; a request no matcher matches (no on_no_match) is denied', async () => {
    const h = app(
      rbac({
        matcher: {
          matcher_list: {
            matchers: [
              // :path is Envoy's way to match the path with a header input (it keeps the query).
              { predicate: single(header(':path'), { prefix: '/admin' }), on_match: action('admin', 'DENY') },
              {
                predicate: { and_matcher: { predicate: [single(header(':method'), { exact: 'GET' }), single(header(':path'), { prefix: '/' })] } },
                on_match: action('reads', 'ALLOW'),
              },
              { predicate: { or_matcher: { predicate: [single(header('x-role'), { exact: 'writer' }), single(header('x-role'), { exact: 'owner' })] } }, on_match: action('writers', 'LOG') },
            ],
          },
        },
      }),
    )
    expect((await h.fetch('/admin/users')).status).toBe(403)
    expect((await h.fetch('/public?x=1')).status).toBe(200)
    expect((await h.fetch('/public', { method: 'POST', body: 'x' })).status).toBe(403)
    // LOG lets the request through.
    expect((await h.fetch('/public', { method: 'POST', body: 'x', headers: { 'x-role': 'owner' } })).status).toBe(200)
  })

  it('the source IP with the Ip matcher (CIDR ranges), and a nested matcher that does not match makes the whole match fail', async () => {
    const h = app(
      rbac({
        matcher: {
          matcher_list: {
            matchers: [
              {
                predicate: { single_predicate: { input: sourceIp, custom_match: { name: 'ip', typed_config: { '@type': `${T}envoy.extensions.matching.input_matchers.ip.v3.Ip`, cidr_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }], stat_prefix: 'internal' } } } },
                on_match: { matcher: { matcher_list: { matchers: [{ predicate: single(header('x-token'), { exact: 'ok' }), on_match: action('internal-with-token', 'ALLOW') }] } } },
              },
            ],
          },
          on_no_match: action('outside', 'ALLOW'),
        },
      }),
    )
    expect((await h.fetch('/x', { headers: { 'cf-connecting-ip': '10.1.2.3', 'x-token': 'ok' } })).status).toBe(200)
    // Inside 10/8 without the token: the nested matcher fails, and the outer on_no_match is not used (matcher.proto).
    expect((await h.fetch('/x', { headers: { 'cf-connecting-ip': '10.1.2.3' } })).status).toBe(403)
    expect((await h.fetch('/x', { headers: { 'cf-connecting-ip': '192.0.2.9' } })).status).toBe(200)
  })
})

describe('RBAC matcher: a match tree', () => {
  it('exact_match_map on a header, prefix_match_map (longest prefix) on :path', async () => {
    const h = app(
      rbac({
        matcher: {
          matcher_tree: {
            input: header(':path'),
            prefix_match_map: { map: { '/': action('root', 'ALLOW'), '/private': action('private', 'DENY'), '/private/open': action('open', 'ALLOW') } },
          },
        },
      }),
    )
    expect((await h.fetch('/x')).status).toBe(200)
    expect((await h.fetch('/private/x')).status).toBe(403)
    expect((await h.fetch('/private/open/x')).status).toBe(200)
    const exact = app(rbac({ matcher: { matcher_tree: { input: header('x-tenant'), exact_match_map: { map: { acme: action('acme', 'ALLOW') } } } } }))
    expect((await exact.fetch('/x', { headers: { 'x-tenant': 'acme' } })).status).toBe(200)
    expect((await exact.fetch('/x', { headers: { 'x-tenant': 'acme-corp' } })).status).toBe(403)
    expect((await exact.fetch('/x')).status).toBe(403)
  })

  it('shadow_matcher is only counted; matcher wins over rules when both are set', async () => {
    const stats = new StatsStore({ isolateId: 'rbac-shadow' })
    const h = app(
      rbac({
        rules: { action: 'DENY', policies: { all: { permissions: [{ any: true }], principals: [{ any: true }] } } },
        matcher: { matcher_list: { matchers: [{ predicate: single(header(':path'), { prefix: '/' }), on_match: action('all', 'ALLOW') }] } },
        shadow_matcher: { matcher_list: { matchers: [{ predicate: single(header(':path'), { prefix: '/secret' }), on_match: action('secret', 'DENY') }] }, on_no_match: action('rest', 'ALLOW') },
      }),
      stats,
    )
    expect((await h.fetch('/secret')).status).toBe(200)
    expect((await h.fetch('/open')).status).toBe(200)
    expect(stats.counters.get('http.ingress.rbac.shadow_denied')).toBe(1)
    expect(stats.counters.get('http.ingress.rbac.shadow_allowed')).toBe(1)
  })
})

describe('RBAC matcher: validation', () => {
  const errors = (filter: unknown) => {
    const r = validateConfig(bootstrap(upstream, routes, [filter, { name: 'envoy.filters.http.router' }]))
    return r.ok ? [] : r.errors.map((e) => e.message)
  }
  it('refuses an input a Worker cannot evaluate, naming it and the reason', () => {
    const sni = { name: 'sni', typed_config: { '@type': `${T}envoy.extensions.matching.common_inputs.network.v3.ServerNameInput` } }
    const found = errors(rbac({ matcher: { matcher_list: { matchers: [{ predicate: single(sni, { exact: 'a.example' }), on_match: action('a', 'ALLOW') }] } } }))
    expect(found.join('\n')).toMatch(/ServerNameInput is not supported by edgevoy: Cloudflare terminates TLS/)
  })
  it('refuses an action that is not an RBAC Action, and a custom matcher it does not know', () => {
    const wrong = errors(rbac({ matcher: { matcher_list: { matchers: [{ predicate: single(header('a'), { exact: 'b' }), on_match: { action: { name: 'x', typed_config: { '@type': `${T}google.protobuf.StringValue` } } } }] } } }))
    expect(wrong.join('\n')).toMatch(/must be envoy\.config\.rbac\.v3\.Action/)
    const custom = errors(rbac({ matcher: { matcher_list: { matchers: [{ predicate: { single_predicate: { input: header('a'), custom_match: { name: 'c', typed_config: { '@type': `${T}xds.type.matcher.v3.CelMatcher` } } } }, on_match: action('a', 'ALLOW') }] } } }))
    expect(custom.join('\n')).toMatch(/custom_match .*CelMatcher is not supported/)
  })
})
