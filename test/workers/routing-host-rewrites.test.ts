/**
 * Host rewrites and redirect paths as Envoy does them, through the real router
 * app inside workerd, against real upstreams on 127.0.0.1.
 *
 * Host: RouteEntryImplBase::finalizeRequestHeaders (source/common/router/
 * config_impl.cc) applies the header mutations first, then finalizeHostHeader —
 * host_rewrite_literal, else host_rewrite_header's first value, else
 * host_rewrite_path_regex on the path without its query; an empty result
 * rewrites nothing — and Http::Utility::updateAuthority keeps the old host in
 * x-envoy-original-host. A weighted cluster's host_rewrite_literal only sets
 * the host (WeightedClusterEntry::finalizeRequestHeaders), before the route's.
 * On Workers fetch() sends the URL's host as Host, so the authority Envoy
 * would send travels in x-forwarded-host (docs/differences.md).
 *
 * Redirects: Http::Utility::newUri (source/common/http/utility.cc) — a query
 * in path_redirect replaces the request's and survives strip_query; a path
 * without a leading "/" gets one.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-redirectaction-path-redirect
 */
import { describe, expect, inject, it } from 'vitest'
import { validateConfig } from '../../src/config/load'
import { testApp, type Echo } from '../support/app'
import { anyHost, bootstrap, compileJson } from '../support/config'

const ups = inject('upstreams')
const json = async (r: Response) => (await r.json()) as Echo

describe('host rewrites', () => {
  const snap = compileJson(
    bootstrap({
      virtual_hosts: anyHost([
        { match: { prefix: '/literal' }, route: { cluster: 'a', host_rewrite_literal: 'literal.example' } },
        { match: { prefix: '/by-header' }, route: { cluster: 'a', host_rewrite_header: 'X-Host' } },
        {
          match: { prefix: '/added' },
          route: { cluster: 'a', host_rewrite_header: 'x-added-host' },
          request_headers_to_add: [{ header: { key: 'x-added-host', value: 'added.example' } }],
        },
        { match: { prefix: '/pseudo' }, route: { cluster: 'a', host_rewrite_header: ':method' } },
        // As the field's doc example: /envoyproxy.io/some/path → host envoyproxy.io.
        { match: { prefix: '/svc/' }, route: { cluster: 'a', prefix_rewrite: '/', host_rewrite_path_regex: { pattern: { regex: '^/svc/([^/]+)/.*$' }, substitution: '\\1' } } },
        { match: { prefix: '/gone/' }, route: { cluster: 'a', host_rewrite_path_regex: { pattern: { regex: '^/gone/.*$' }, substitution: '' } } },
        { match: { prefix: '/weighted-route' }, route: { host_rewrite_literal: 'route.example', weighted_clusters: { clusters: [{ name: 'a', weight: 1, host_rewrite_literal: 'entry.example' }] } } },
        { match: { prefix: '/weighted' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1, host_rewrite_literal: 'entry.example' }] } } },
        { match: { prefix: '/' }, route: { cluster: 'a' } },
      ]),
      clusters: { a: [ups.a!] },
    }),
  )
  const { request } = testApp(snap)
  const upstream = async (url: string, init?: RequestInit) => (await json(await request(url, init))).headers

  it('host_rewrite_literal: the new authority upstream, the old one in x-envoy-original-host', async () => {
    const h = await upstream('http://shop.example/literal')
    expect(h['x-forwarded-host']).toBe('literal.example')
    expect(h['x-envoy-original-host']).toBe('shop.example')
  })
  it('host_rewrite_header: the header’s value becomes the authority; absent, nothing is rewritten', async () => {
    const h = await upstream('http://shop.example/by-header', { headers: { 'x-host': 'from-header.example:9000' } })
    expect(h['x-forwarded-host']).toBe('from-header.example:9000')
    expect(h['x-envoy-original-host']).toBe('shop.example')
    for (const init of [{}, { headers: { 'x-host': '' } }]) {
      const kept = await upstream('http://shop.example/by-header', init)
      expect(kept['x-forwarded-host']).toBe('shop.example')
      expect(kept['x-envoy-original-host']).toBeUndefined()
    }
  })
  it('host_rewrite_header reads a header the route’s request_headers_to_add set (mutations come first)', async () => {
    expect((await upstream('http://shop.example/added'))['x-forwarded-host']).toBe('added.example')
  })
  it('host_rewrite_header may name a pseudo-header', async () => {
    expect((await upstream('http://shop.example/pseudo'))['x-forwarded-host']).toBe('GET')
  })
  it('host_rewrite_path_regex substitutes into the path before its rewrite, without the query', async () => {
    const echo = await json(await request('http://shop.example/svc/inner.example/items?next=/svc/other/x'))
    expect(echo.headers['x-forwarded-host']).toBe('inner.example')
    expect(echo.headers['x-envoy-original-host']).toBe('shop.example')
    expect(echo.url).toBe('/inner.example/items?next=/svc/other/x')
  })
  it('host_rewrite_path_regex giving an empty host rewrites nothing', async () => {
    const h = await upstream('http://shop.example/gone/x')
    expect(h['x-forwarded-host']).toBe('shop.example')
    expect(h['x-envoy-original-host']).toBeUndefined()
  })
  it('a weighted cluster’s literal sets the host without x-envoy-original-host; the route’s literal then wins', async () => {
    const entry = await upstream('http://shop.example/weighted')
    expect(entry['x-forwarded-host']).toBe('entry.example')
    expect(entry['x-envoy-original-host']).toBeUndefined()
    const route = await upstream('http://shop.example/weighted-route')
    expect(route['x-forwarded-host']).toBe('route.example')
    expect(route['x-envoy-original-host']).toBe('entry.example')
  })
  it('without a rewrite the authority passes unchanged and no x-envoy-original-host is added', async () => {
    const h = await upstream('http://shop.example/')
    expect(h['x-forwarded-host']).toBe('shop.example')
    expect(h['x-envoy-original-host']).toBeUndefined()
  })
  it('the host rewrite specifiers are one oneof: two of them are refused', () => {
    const r = validateConfig(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'a', host_rewrite_header: 'x-h', host_rewrite_path_regex: { pattern: { regex: '.*' }, substitution: 'h' } } }]), clusters: { a: [ups.a!] } }))
    expect(r.ok).toBe(false)
    expect(r.errors.map((e) => e.message).join('\n')).toContain('host_rewrite_header and host_rewrite_path_regex are mutually exclusive')
  })
})

describe('redirect paths (Http::Utility::newUri)', () => {
  const snap = compileJson(
    bootstrap({
      virtual_hosts: anyHost([
        { match: { prefix: '/q-strip' }, redirect: { path_redirect: '/p?x=1', strip_query: true } },
        { match: { prefix: '/q' }, redirect: { path_redirect: '/p?x=1' } },
        { match: { prefix: '/rel-strip' }, redirect: { path_redirect: 'relative/target', strip_query: true } },
        { match: { prefix: '/rel-q' }, redirect: { path_redirect: 'relative?r=1' } },
        { match: { prefix: '/rel' }, redirect: { path_redirect: 'relative/target' } },
        { match: { prefix: '/empty' }, redirect: { path_redirect: '', host_redirect: 'other.example' } },
        { match: { prefix: '/docs/' }, redirect: { prefix_rewrite: 'manual/' } },
      ]),
    }),
  )
  const { request } = testApp(snap)
  const location = async (url: string) => (await request(url)).headers.get('location')

  it('a query written in path_redirect replaces the request’s, and strip_query does not remove it', async () => {
    expect(await location('http://h/q?y=2')).toBe('http://h/p?x=1')
    expect(await location('http://h/q')).toBe('http://h/p?x=1')
    expect(await location('http://h/q-strip?y=2')).toBe('http://h/p?x=1')
  })
  it('a path_redirect without a leading "/" gets one; the request’s query follows unless stripped', async () => {
    expect(await location('http://h/rel?a=1')).toBe('http://h/relative/target?a=1')
    expect(await location('http://h/rel-strip?a=1')).toBe('http://h/relative/target')
    expect(await location('http://h/rel-q?a=1')).toBe('http://h/relative?r=1')
  })
  it('an empty path_redirect is no path redirect: the request’s path stays', async () => {
    expect(await location('http://h/empty/x?a=1')).toBe('http://other.example/empty/x?a=1')
  })
  it('a prefix_rewrite without a leading "/" gets one too', async () => {
    expect(await location('http://h/docs/intro?l=en')).toBe('http://h/manual/intro?l=en')
  })
})
