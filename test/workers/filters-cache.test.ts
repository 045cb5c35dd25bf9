/**
 * envoy.filters.http.cache on the Workers Cache API (Miniflare's), against a
 * real upstream of this file's own that counts what reaches it. Each case
 * follows Envoy's CacheFilter (source/extensions/filters/http/cache/
 * cache_filter.cc, cacheability_utils.cc, cache_headers_utils.cc,
 * http_cache.cc) and cache.proto.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/cache_filter
 */
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { isolateStats } from '../../src/observability/stats'
import { cacheKey } from '../../src/filters/cache/store'
import { linkCacheFilter } from '../../src/snapshot/filter-configs'
import { controlClient } from '../support/control-client'
import type { EchoBody } from '../support/control-client'
import { bootstrap, harness, type Harness } from '../support/filters-harness'

const control = controlClient(inject('upstreamControl'))
const UP = 'cache-filter'
let port = 0
beforeAll(async () => {
  port = (await control.start(UP)).port
})
const requests = async () => (await control.state(UP)).requests
const T = 'type.googleapis.com/envoy.extensions'
const SIMPLE = { '@type': `${T}.http.cache.simple_http_cache.v3.SimpleHttpCacheConfig` }
const cacheConfig = (extra: Record<string, unknown> = {}) => ({ '@type': `${T}.filters.http.cache.v3.CacheConfig`, typed_config: SIMPLE, ...extra })
const config = (extra: Record<string, unknown> = {}) =>
  bootstrap(port, [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'upstream' } }] }], [{ name: 'envoy.filters.http.cache', typed_config: cacheConfig(extra) }, { name: 'envoy.filters.http.router' }])
const app = (extra: Record<string, unknown> = {}) => harness(config(extra))
const stat = (event: string) => isolateStats.counters.get(`cache.event.cache_label.envoy_extensions_http_cache_simple.event_type.${event}`) ?? 0

let seq = 0
/** A fresh path on the upstream's /response-headers (each query parameter becomes a response header). */
const path = (headers: Record<string, string>) => `/response-headers?${new URLSearchParams({ ...headers, n: `${Date.now()}-${++seq}` })}`

/** Fetches, reads the whole body, and waits for the store to finish. */
async function get(h: Harness, p: string, init: RequestInit = {}) {
  const res = await h.fetch(p, init)
  const text = await res.text()
  await h.settle()
  return { res, text, status: res.status, age: res.headers.get('age') }
}

describe('storing and serving (cache_filter.cc, RFC 9111)', () => {
  it('serves the second GET from cache without reaching upstream, with Age as Envoy computes it', async () => {
    const h = app()
    const p = path({ 'cache-control': 'max-age=60' })
    const [hits, misses] = [stat('hit'), stat('miss')]
    const first = await get(h, p)
    expect([first.status, first.age]).toEqual([200, null])
    const count = await requests()
    const second = await get(h, p)
    expect([second.status, second.age, second.text]).toEqual([200, '0', first.text])
    h.advance(5_000)
    const third = await get(h, p)
    expect(third.age).toBe('5')
    expect(await requests()).toBe(count)
    expect([stat('hit') - hits, stat('miss') - misses]).toEqual([2, 1])
  })

  it('HEAD is answered from a stored GET without a body, and never stored itself (cache_filter.rst: "wont store HTTP HEAD Requests")', async () => {
    const h = app()
    const p = path({ 'cache-control': 'max-age=60' })
    await get(h, p, { method: 'HEAD' })
    const before = await requests()
    await get(h, p)
    expect(await requests()).toBe(before + 1)
    const head = await get(h, p, { method: 'HEAD' })
    expect([head.status, head.age, head.text]).toEqual([200, '0', ''])
    expect(await requests()).toBe(before + 1)
  })

  it('a stored 204 is answered from cache without a body (a storable status, cacheability_utils.cc)', async () => {
    const h = app()
    const p = path({ 'cache-control': 'max-age=60', status: '204' })
    expect((await get(h, p)).status).toBe(204)
    const before = await requests()
    const res = await get(h, p)
    expect([res.status, res.age, res.text, await requests()]).toEqual([204, '0', '', before])
  })

  const notStored: [string, Record<string, string>, RequestInit][] = [
    ['response Cache-Control: no-store', { 'cache-control': 'no-store, max-age=60' }, {}],
    ['response Cache-Control: private', { 'cache-control': 'private, max-age=60' }, {}],
    ['a response with Set-Cookie (the Cache API never stores one)', { 'cache-control': 'max-age=60', 'set-cookie': 'session=alice' }, {}],
    ['a response without freshness information', { etag: '"x"' }, {}],
    ['a status Envoy does not store (500)', { 'cache-control': 'max-age=60' }, {}],
    ['request Cache-Control: no-store', { 'cache-control': 'max-age=60' }, { headers: { 'cache-control': 'no-store' } }],
  ]
  for (const [what, headers, init] of notStored) {
    it(`does not store ${what}`, async () => {
      const h = app()
      const p = what.includes('500') ? `/status/500?n=${++seq}` : path(headers)
      const before = await requests()
      await get(h, p, init)
      await get(h, p, init)
      expect(await requests()).toBe(before + 2)
    })
  }

  it('a Range request bypasses the cache: not answered from it, its answer not stored (no stored body is sliced, no 206 stored as the resource)', async () => {
    const h = app()
    const p = `/big/1000?cache-control=max-age%3D60&n=${++seq}`
    const first = await h.fetch(p, { headers: { range: 'bytes=0-9' } })
    await first.arrayBuffer()
    await h.settle()
    const whole = await h.fetch(p)
    expect([whole.status, (await whole.arrayBuffer()).byteLength, whole.headers.get('age')]).toEqual([200, 1000, null])
  })

  it('does not look up or store a request with Authorization (cacheability_utils.cc)', async () => {
    const h = app()
    const p = path({ 'cache-control': 'max-age=60' })
    const before = await requests()
    await get(h, p, { headers: { authorization: 'Bearer a' } })
    await get(h, p, { headers: { authorization: 'Bearer a' } })
    expect(await requests()).toBe(before + 2)
  })

  it('ignore_request_cache_control_header: a request no-cache is served from cache', async () => {
    const h = app({ ignore_request_cache_control_header: true })
    const p = path({ 'cache-control': 'max-age=60', etag: '"i"' })
    await get(h, p)
    const before = await requests()
    const res = await get(h, p, { headers: { 'cache-control': 'no-cache' } })
    expect([res.age, await requests()]).toEqual(['0', before])
  })

  it('disabled: true is a no-op filter (cache.proto)', async () => {
    const h = harness(config({ disabled: true }))
    const p = path({ 'cache-control': 'max-age=60' })
    const before = await requests()
    await get(h, p)
    await get(h, p)
    expect(await requests()).toBe(before + 2)
  })
})

describe('validation (CacheFilter::injectValidationHeaders, processSuccessfulValidation)', () => {
  it('revalidates a stale entry upstream with If-None-Match and serves the stored body on 304, refreshing the entry', async () => {
    const h = app()
    const p = path({ 'cache-control': 'max-age=10', etag: '"v1"' })
    const first = await get(h, p)
    h.advance(11_000)
    const before = await requests()
    const validations = stat('validate')
    const second = await get(h, p)
    expect(await requests()).toBe(before + 1)
    // The upstream saw the stored ETag; the 304 became the stored 200, without Age.
    expect((await control.state(UP)).last?.headers['if-none-match']).toBe('"v1"')
    expect([second.status, second.age, second.text]).toEqual([200, null, first.text])
    expect(stat('validate')).toBe(validations + 1)
    // Refreshed: fresh again from now on.
    const third = await get(h, p)
    expect([third.age, await requests()]).toEqual(['0', before + 1])
  })

  it('a HEAD validates a stale entry too: headers only to the client, the whole stored body kept for the next GET', async () => {
    const h = app()
    const p = path({ 'cache-control': 'max-age=10', etag: '"h1"' })
    const first = await get(h, p)
    h.advance(11_000)
    const before = await requests()
    const head = await get(h, p, { method: 'HEAD' })
    expect([head.status, head.text, await requests()]).toEqual([200, '', before + 1])
    const again = await get(h, p)
    expect([again.age, again.text, await requests()]).toEqual(['0', first.text, before + 1])
  })

  it('a request Cache-Control: no-cache validates even a fresh entry', async () => {
    const h = app()
    const p = path({ 'cache-control': 'max-age=60', etag: '"nc"' })
    await get(h, p)
    const before = await requests()
    const res = await get(h, p, { headers: { 'cache-control': 'no-cache' } })
    expect([res.status, await requests()]).toEqual([200, before + 1])
    expect((await control.state(UP)).last?.headers['if-none-match']).toBe('"nc"')
  })

  it("a client's own If-None-Match bypasses the cache as in Envoy (cacheability_utils.cc: conditional requests go upstream), and the upstream's 304 reaches it", async () => {
    const h = app()
    const p = path({ 'cache-control': 'max-age=60', etag: '"c"' })
    await get(h, p)
    const before = await requests()
    const res = await get(h, p, { headers: { 'if-none-match': '"c"' } })
    expect([res.status, await requests()]).toEqual([304, before + 1])
    // The stored entry is still there for unconditional requests.
    expect((await get(h, p)).age).toBe('0')
  })
})

describe('Vary and cache poisoning (VaryAllowList, createVaryIdentifier)', () => {
  it('attack: a response varying on an unkeyed header outside allowed_vary_headers is not stored, so one client\'s X-Host never reaches another', async () => {
    const h = app({ allowed_vary_headers: [{ exact: 'accept-language' }] })
    const p = path({ 'cache-control': 'max-age=60', vary: 'X-Host' })
    const evil = await get(h, p, { headers: { 'x-host': 'evil.example' } })
    expect(evil.text).toContain('evil.example')
    const before = await requests()
    const victim = await get(h, p)
    expect(await requests()).toBe(before + 1)
    expect(victim.text).not.toContain('evil.example')
    expect(victim.age).toBeNull()
  })

  it('an allowed Vary header keys the entry by its value: each client gets its own variant', async () => {
    const h = app({ allowed_vary_headers: [{ exact: 'accept-language' }] })
    const p = path({ 'cache-control': 'max-age=60', vary: 'Accept-Language' })
    const en = await get(h, p, { headers: { 'accept-language': 'en' } })
    const fr = await get(h, p, { headers: { 'accept-language': 'fr' } })
    expect((JSON.parse(fr.text) as EchoBody).headers['accept-language']).toBe('fr')
    const before = await requests()
    const enAgain = await get(h, p, { headers: { 'accept-language': 'en' } })
    const frAgain = await get(h, p, { headers: { 'accept-language': 'fr' } })
    expect([enAgain.text, frAgain.text, enAgain.age, await requests()]).toEqual([en.text, fr.text, '0', before])
  })

  it('Vary: * is never stored', async () => {
    const h = app({ allowed_vary_headers: [{ safe_regex: { regex: '.*' } }] })
    const p = path({ 'cache-control': 'max-age=60', vary: '*' })
    const before = await requests()
    await get(h, p)
    await get(h, p)
    expect(await requests()).toBe(before + 2)
  })

  it('attack: an authenticated response is never served to an anonymous client', async () => {
    const h = app()
    const p = path({ 'cache-control': 'public, max-age=60' })
    const alice = await get(h, p, { headers: { authorization: 'Bearer alice-token' } })
    expect(alice.text).toContain('alice-token')
    const before = await requests()
    const anonymous = await get(h, p)
    expect(anonymous.text).not.toContain('alice-token')
    expect(await requests()).toBe(before + 1)
  })
})

describe('key_creator_params and max_body_bytes (cache.proto)', () => {
  it('query_parameters_excluded: requests differing only in an excluded parameter share an entry; others do not', async () => {
    const h = app({ key_creator_params: { query_parameters_excluded: [{ name: 'utm_source' }] } })
    const p = path({ 'cache-control': 'max-age=60' })
    await get(h, `${p}&utm_source=a`)
    const before = await requests()
    expect((await get(h, `${p}&utm_source=b`)).age).toBe('0')
    expect((await get(h, `${p}&other=1`)).age).toBeNull()
    expect(await requests()).toBe(before + 1)
  })

  it('keys name scheme, host and path unless excluded; a request URL can never name another entry', () => {
    const cfg = (k: Record<string, unknown>) => linkCacheFilter({ disabled: false, allowedVaryHeaders: [], excludeScheme: false, excludeHost: false, queryParametersIncluded: [], queryParametersExcluded: [], maxBodyBytes: 0, ignoreRequestCacheControl: false, statLabel: 'x', ...k })
    const key = (url: string, k: Record<string, unknown> = {}) => cacheKey(new URL(url), cfg(k))
    expect(key('http://a.example/p?x=1')).not.toBe(key('https://a.example/p?x=1'))
    expect(key('http://a.example/p')).not.toBe(key('http://b.example/p'))
    expect(key('http://a.example/p', { excludeScheme: true })).toBe(key('https://a.example/p', { excludeScheme: true }))
    expect(key('http://a.example/p', { excludeHost: true })).toBe(key('http://b.example/p', { excludeHost: true }))
    expect(key('http://a.example/p?b=2&a=1', { queryParametersIncluded: [{ name: 'a', match: { kind: 'any' }, describe: '' }] })).toBe(key('http://a.example/p?a=1'))
    // A path that looks like a key stays inside one percent-encoded segment.
    expect(key('http://a.example/.edgevoy-cache/http/%2Fp')).not.toBe(key('http://a.example/p'))
  })

  for (const chunked of [false, true]) {
    it(`a body over max_body_bytes is delivered whole and not stored (${chunked ? 'chunked' : 'with Content-Length'})`, async () => {
      const h = app({ max_body_bytes: 100_000 })
      const p = `/big/300000?cache-control=max-age%3D60&n=${++seq}${chunked ? '&chunked' : ''}`
      const before = await requests()
      for (let i = 0; i < 2; i++) {
        const res = await h.fetch(p)
        const bytes = new Uint8Array(await res.arrayBuffer())
        await h.settle()
        expect(bytes.length).toBe(300_000)
        expect(bytes.every((b, j) => b === j % 251)).toBe(true)
        expect(res.headers.get('age')).toBeNull()
      }
      expect(await requests()).toBe(before + 2)
      // Under the limit it is stored.
      const small = `/big/50000?cache-control=max-age%3D60&n=${++seq}${chunked ? '&chunked' : ''}`
      await get(h, small)
      const res = await h.fetch(small)
      expect([(await res.arrayBuffer()).byteLength, res.headers.get('age')]).toEqual([50_000, '0'])
    })
  }
})

describe('validate', () => {
  const warnings = (extra: Record<string, unknown>) => {
    const loaded = loadConfig(JSON.stringify(config(extra)))
    return { ok: loaded.ok, text: [...loaded.warnings, ...loaded.errors].map((w) => w.message).join('\n') }
  }
  it('warns that entries live in the Cache API of one location and Set-Cookie responses are not stored', () => {
    const w = warnings({})
    expect(w.ok).toBe(true)
    expect(w.text).toMatch(/Workers Cache API of the Cloudflare location/)
    expect(w.text).toMatch(/Set-Cookie are never stored/)
  })
  it('warns that the file system storage is replaced by the Cache API', () => {
    expect(warnings({ typed_config: { '@type': `${T}.http.cache.file_system_http_cache.v3.FileSystemHttpCacheConfig`, cache_path: '/tmp' } }).text).toMatch(/file system storage .* not available in Workers/)
  })
  it('refuses an unknown storage type and a config with neither typed_config nor disabled, as Envoy does', () => {
    expect(warnings({ typed_config: { '@type': 'type.googleapis.com/acme.Cache' } })).toMatchObject({ ok: false, text: expect.stringMatching(/no cache storage implementation/) })
    expect(warnings({ typed_config: undefined })).toMatchObject({ ok: false, text: expect.stringMatching(/at least one of typed_config or disabled/) })
    expect(warnings({ allowed_vary_header: [] })).toMatchObject({ ok: false, text: expect.stringMatching(/unknown field "allowed_vary_header"/) })
  })
})
