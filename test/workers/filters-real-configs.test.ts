/**
 * The HTTP filters real-world configs use (issue 16), inside workerd against
 * a real upstream, each configured as the Envoy example that uses it
 * (../shared/corpus/real-envoy-configs/files/envoyproxy-examples/*):
 * health_check (datadog-tracing), csrf (csrf/samesite), compressor and
 * decompressor (gzip), cache (cache).
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/health_check_filter
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/csrf_filter
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/compressor_filter
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/decompressor_filter
 */
import { describe, expect, inject, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { isolateStats } from '../../src/observability/stats'
import { bootstrap, harness } from '../support/filters-harness'
import { createSigner, jwks } from '../support/jwt-signer'

const upstreams = inject('upstreams')
const stat = (name: string) => isolateStats.counters.get(name) ?? 0
const route = (name: string, prefix: string, extra: Record<string, unknown> = {}) => ({ name, match: { prefix }, route: { cluster: 'upstream' }, ...extra })
const config = (routes: unknown[], filters: unknown[]) => bootstrap(upstreams.a!, [{ name: 'v', domains: ['*'], routes }], [...filters, { name: 'envoy.filters.http.router' }])
const app = (routes: unknown[], filters: unknown[]) => harness(config(routes, filters))
const HUNDRED = (n: number) => ({ default_value: { numerator: n, denominator: 'HUNDRED' } })
const T = 'type.googleapis.com/envoy.extensions'

describe('health_check', () => {
  const hc = (passThrough: boolean) => ({
    name: 'envoy.filters.http.health_check',
    typed_config: { '@type': `${T}.filters.http.health_check.v3.HealthCheck`, pass_through_mode: passThrough, headers: [{ exact_match: '/healthcheck', name: ':path' }] },
  })

  it('not in pass-through mode answers the configured path itself with an empty 200; other paths go upstream', async () => {
    const h = app([route('r', '/')], [hc(false)])
    const before = stat('http.ingress.health_check.request_health_check')
    const res = await h.fetch('/healthcheck')
    expect([res.status, await res.text(), res.headers.get('x-upstream-id')]).toEqual([200, '', null])
    expect(stat('http.ingress.health_check.request_health_check')).toBe(before + 1)
    const other = await h.fetch('/healthcheck/deeper')
    expect(other.headers.get('x-upstream-id')).not.toBeNull()
  })

  it('names the node cluster in x-envoy-upstream-healthchecked-cluster, answered locally or passed through (what a checker\'s service_name_matcher reads)', async () => {
    // Envoy's HealthCheckFilter sets it from local_info's cluster name (health_check.cc).
    for (const passThrough of [false, true]) {
      const h = harness({ ...config([route('r', '/')], [hc(passThrough)]), node: { id: 'front-1', cluster: 'front-proxy' } })
      const res = await h.fetch('/healthcheck')
      expect([passThrough, res.status, res.headers.get('x-envoy-upstream-healthchecked-cluster')]).toEqual([passThrough, 200, 'front-proxy'])
      // Not a health check: no such header.
      expect((await h.fetch('/other')).headers.get('x-envoy-upstream-healthchecked-cluster')).toBeNull()
    }
  })

  it('in pass-through mode forwards the health check to the upstream', async () => {
    const res = await app([route('r', '/')], [hc(true)]).fetch('/healthcheck')
    expect(res.status).toBe(200)
    expect(((await res.json()) as { url: string }).url).toBe('/healthcheck')
  })

  it('cluster_min_healthy_percentages is a clear error (edgevoy would answer without looking at cluster health)', () => {
    const bad = config([route('r', '/')], [{ name: 'envoy.filters.http.health_check', typed_config: { '@type': `${T}.filters.http.health_check.v3.HealthCheck`, pass_through_mode: false, cluster_min_healthy_percentages: { upstream: { value: 50 } } } }])
    const loaded = loadConfig(JSON.stringify(bad))
    expect(loaded.ok).toBe(false)
    expect(loaded.errors.map((e) => e.message).join('\n')).toMatch(/cluster_min_healthy_percentages is not supported/)
  })
})

describe('csrf (as envoyproxy-examples/csrf/samesite)', () => {
  const csrf = (policy: Record<string, unknown>) => ({ '@type': `${T}.filters.http.csrf.v3.CsrfPolicy`, ...policy })
  const perRoute = (policy: Record<string, unknown>) => ({ typed_per_filter_config: { 'envoy.filters.http.csrf': csrf(policy) } })
  const h = app(
    [
      route('disabled', '/csrf/disabled', perRoute({ filter_enabled: HUNDRED(0) })),
      route('shadow', '/csrf/shadow', perRoute({ filter_enabled: HUNDRED(0), shadow_enabled: HUNDRED(100) })),
      route('additional', '/csrf/additional_origin', perRoute({ filter_enabled: HUNDRED(100), additional_origins: [{ safe_regex: { regex: '.*\\.trusted\\.example' } }] })),
      route('r', '/'),
    ],
    [{ name: 'envoy.filters.http.csrf', typed_config: csrf({ filter_enabled: HUNDRED(100) }) }],
  )
  const post = (path: string, headers: Record<string, string>) => h.fetch(path, { method: 'POST', body: 'x', headers })

  it('a cross-site POST is refused 403 "Invalid origin"; same-site, GET and Referer-only same-site pass', async () => {
    const attack = await post('/transfer', { origin: 'https://evil.example' })
    expect([attack.status, await attack.text()]).toEqual([403, 'Invalid origin'])
    expect((await h.fetch('/transfer', { method: 'DELETE', headers: { origin: 'https://evil.example' } })).status).toBe(403)
    expect((await h.fetch('/transfer', { method: 'PATCH', body: 'x', headers: { origin: 'https://evil.example' } })).status).toBe(403)
    expect((await post('/transfer', { origin: 'https://edge.example.com' })).status).toBe(200)
    expect((await post('/transfer', { referer: 'https://edge.example.com/form?x=1' })).status).toBe(200)
    expect((await h.fetch('/transfer', { headers: { origin: 'https://evil.example' } })).status).toBe(200)
  })

  it('a POST with neither Origin nor Referer, or Origin "null", is refused and counted', async () => {
    const missing = stat('http.ingress.csrf.missing_source_origin')
    expect((await post('/transfer', {})).status).toBe(403)
    expect(stat('http.ingress.csrf.missing_source_origin')).toBe(missing + 1)
    expect((await post('/transfer', { origin: 'null' })).status).toBe(403)
  })

  it('a look-alike host (suffix or port) is not the destination', async () => {
    expect((await post('/transfer', { origin: 'https://edge.example.com.evil.example' })).status).toBe(403)
    expect((await post('/transfer', { origin: 'https://edge.example.com:8443' })).status).toBe(403)
  })

  it('per-route policies: disabled passes, shadow passes but counts, additional_origins admits the listed origins only', async () => {
    expect((await post('/csrf/disabled', { origin: 'https://evil.example' })).status).toBe(200)
    const invalid = stat('http.ingress.csrf.request_invalid')
    expect((await post('/csrf/shadow', { origin: 'https://evil.example' })).status).toBe(200)
    expect(stat('http.ingress.csrf.request_invalid')).toBe(invalid + 1)
    expect((await post('/csrf/additional_origin', { origin: 'https://app.trusted.example' })).status).toBe(200)
    expect((await post('/csrf/additional_origin', { origin: 'https://evil.example' })).status).toBe(403)
  })
})

describe('compressor / decompressor (as envoyproxy-examples/gzip)', () => {
  const compressor = (direction: Record<string, unknown>, library = `${T}.compression.gzip.compressor.v3.Gzip`) => ({
    name: 'envoy.filters.http.compressor',
    typed_config: { '@type': `${T}.filters.http.compressor.v3.Compressor`, response_direction_config: direction, compressor_library: { name: 'text_optimized', typed_config: { '@type': library, memory_level: 3, window_bits: 10 } } },
  })
  const gzipJson = compressor({ common_config: { min_content_length: 100, content_type: ['application/json'] }, disable_on_etag_header: true })
  const gunzip = async (res: Response) => new Response(res.body!.pipeThrough(new DecompressionStream('gzip'))).text()

  it('gzips a JSON response for a client that accepts gzip: Content-Encoding, Vary, no Content-Length, body intact', async () => {
    const res = await app([route('r', '/')], [gzipJson]).fetch('/some/json/path/long-enough-for-100-bytes', { headers: { 'accept-encoding': 'br, gzip;q=0.8' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(res.headers.get('vary')).toMatch(/accept-encoding/i)
    expect(res.headers.get('content-length')).toBeNull()
    const body = JSON.parse(await gunzip(res)) as { url: string }
    expect(body.url).toBe('/some/json/path/long-enough-for-100-bytes')
  })

  it('leaves the response alone when the client refuses gzip, the type is not listed, the body is short, or an ETag is set (disable_on_etag_header)', async () => {
    const h = app([route('r', '/')], [gzipJson])
    for (const ae of [undefined, 'br', 'gzip;q=0', 'identity']) {
      const res = await h.fetch('/x', { headers: ae ? { 'accept-encoding': ae } : {} })
      expect(res.headers.get('content-encoding')).toBeNull()
      expect(((await res.json()) as { url: string }).url).toBe('/x')
    }
    const octets = await h.fetch('/big/4096', { headers: { 'accept-encoding': 'gzip' } })
    expect([octets.headers.get('content-encoding'), (await octets.arrayBuffer()).byteLength]).toEqual([null, 4096])
    const tagged = await h.fetch('/response-headers?etag=%22v1%22', { headers: { 'accept-encoding': 'gzip' } })
    expect([tagged.headers.get('content-encoding'), tagged.headers.get('etag')]).toEqual([null, '"v1"'])
    // Content-Length below min_content_length: not compressed; at or above: compressed (an unknown length is compressed, as in Envoy).
    const byLength = (min: number) => app([route('r', '/')], [compressor({ common_config: { min_content_length: min, content_type: ['application/octet-stream'] } })])
    const short = await byLength(4097).fetch('/big/4096', { headers: { 'accept-encoding': 'gzip' } })
    expect(short.headers.get('content-encoding')).toBeNull()
    const long = await byLength(4096).fetch('/big/4096', { headers: { 'accept-encoding': 'gzip' } })
    expect(long.headers.get('content-encoding')).toBe('gzip')
    expect((await new Response(long.body!.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer()).byteLength).toBe(4096)
  })

  it('without disable_on_etag_header a strong ETag becomes weak on the compressed response; no-transform is respected', async () => {
    const h = app([route('r', '/')], [compressor({ common_config: { min_content_length: 10, content_type: ['application/json'] } })])
    const res = await h.fetch('/response-headers?etag=%22v1%22', { headers: { 'accept-encoding': 'gzip' } })
    expect([res.headers.get('content-encoding'), res.headers.get('etag')]).toEqual(['gzip', 'W/"v1"'])
    const noTransform = await h.fetch('/response-headers?cache-control=no-transform', { headers: { 'accept-encoding': 'gzip' } })
    expect(noTransform.headers.get('content-encoding')).toBeNull()
  })

  it('brotli and zstd libraries are accepted with a warning and leave responses uncompressed', async () => {
    for (const lib of ['brotli.compressor.v3.Brotli', 'zstd.compressor.v3.Zstd']) {
      const cfg = config([route('r', '/')], [compressor({}, `${T}.compression.${lib}`)])
      const loaded = loadConfig(JSON.stringify(cfg))
      expect(loaded.ok).toBe(true)
      expect(loaded.warnings.map((w) => w.message).join('\n')).toMatch(/not available in Workers/)
      const res = await harness(cfg).fetch('/x', { headers: { 'accept-encoding': 'br, zstd, gzip' } })
      expect(res.headers.get('content-encoding')).toBeNull()
    }
  })

  it('the decompressor hands the upstream a gzip request body decompressed, and advertises gzip upstream', async () => {
    const decompressor = {
      name: 'envoy.filters.http.decompressor',
      typed_config: {
        '@type': `${T}.filters.http.decompressor.v3.Decompressor`,
        decompressor_library: { name: 'upload', typed_config: { '@type': `${T}.compression.gzip.decompressor.v3.Gzip`, window_bits: 9, chunk_size: 8192, max_inflate_ratio: 1000 } },
        response_direction_config: { common_config: { enabled: { default_value: false, runtime_key: 'response_decompressor_enabled' } } },
      },
    }
    const plain = 'hello upstream '.repeat(1000)
    const gz = await new Response(new Blob([plain]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer()
    const res = await app([route('r', '/')], [decompressor]).fetch('/upload', { method: 'POST', body: gz, headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' } })
    const echo = (await res.json()) as { bodyBytes: number; bodySha256: string; headers: Record<string, string> }
    const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(plain)))].map((b) => b.toString(16).padStart(2, '0')).join('')
    expect([echo.bodyBytes, echo.bodySha256]).toEqual([plain.length, sha])
    expect(echo.headers['content-encoding']).toBeUndefined()
    expect(echo.headers['accept-encoding']).toMatch(/gzip/)
  })
})

describe('decompressor, response direction', () => {
  it('a gzip response from the upstream reaches a client that did not ask for gzip decompressed, without the coding', async () => {
    const decompressor = { name: 'envoy.filters.http.decompressor', typed_config: { '@type': `${T}.filters.http.decompressor.v3.Decompressor`, decompressor_library: { name: 'gz', typed_config: { '@type': `${T}.compression.gzip.decompressor.v3.Gzip` } } } }
    const res = await app([route('r', '/')], [decompressor]).fetch('/gzip')
    expect([res.headers.get('content-encoding'), res.headers.get('content-length')]).toEqual([null, null])
    expect(((await res.json()) as { url: string }).url).toBe('/gzip')
    // Without the filter the coding stays on the response (workerd re-encodes it when serving).
    const bare = await app([route('r', '/')], []).fetch('/gzip')
    expect(bare.headers.get('content-encoding')).toBe('gzip')
  })
})

describe('header_mutation', () => {
  const hm = (mutations: Record<string, unknown>) => ({ '@type': `${T}.filters.http.header_mutation.v3.HeaderMutation`, mutations })
  const add = (key: string, value: string, append_action = 'OVERWRITE_IF_EXISTS_OR_ADD') => ({ append: { header: { key, value }, append_action } })

  it('applies request mutations in order before the upstream and response mutations on the way back; the route\'s run after the listener\'s', async () => {
    const h = app(
      [route('special', '/response-headers', { typed_per_filter_config: { 'envoy.filters.http.header_mutation': hm({ request_mutations: [add('x-tier', 'gold')], response_mutations: [{ remove: 'x-route-gone' }] }) } }), route('r', '/')],
      [{ name: 'envoy.filters.http.header_mutation', typed_config: hm({
        request_mutations: [add('x-tier', 'basic'), { remove: 'x-secret' }, { remove_on_match: { key_matcher: { prefix: 'x-debug-' } } }, add('x-client', '%DOWNSTREAM_REMOTE_ADDRESS%')],
        response_mutations: [add('x-served-by', 'edge'), { remove: 'x-upstream-id' }],
      }) }],
    )
    const res = await h.fetch('/x', { headers: { 'x-tier': 'spoofed', 'x-secret': 's', 'x-debug-a': '1', 'x-debug-b': '2', 'cf-connecting-ip': '192.0.2.9' } })
    const echo = (await res.json()) as { headers: Record<string, string> }
    expect([echo.headers['x-tier'], echo.headers['x-secret'], echo.headers['x-debug-a'], echo.headers['x-debug-b'], echo.headers['x-client']]).toEqual(['basic', undefined, undefined, undefined, '192.0.2.9'])
    expect([res.headers.get('x-served-by'), res.headers.get('x-upstream-id')]).toEqual(['edge', null])
    const special = await h.fetch('/response-headers?x-route-gone=1')
    expect(((await special.json()) as { headers: Record<string, string> }).headers['x-tier']).toBe('gold')
    expect([special.headers.get('x-route-gone'), special.headers.get('x-served-by')]).toEqual([null, 'edge'])
  })

  it('trailer and query mutations are clear errors', () => {
    const loaded = loadConfig(JSON.stringify(config([route('r', '/')], [{ name: 'envoy.filters.http.header_mutation', typed_config: hm({ response_trailers_mutations: [{ remove: 'grpc-status' }] }) }])))
    expect(loaded.ok).toBe(false)
    expect(loaded.errors.map((e) => e.message).join('\n')).toMatch(/response_trailers_mutations is not supported/)
  })
})

describe('header_to_metadata', () => {
  it('a request header becomes metadata that rbac reads, and is removed before the upstream', async () => {
    const h2m = { name: 'envoy.filters.http.header_to_metadata', typed_config: { '@type': `${T}.filters.http.header_to_metadata.v3.Config`, request_rules: [{ header: 'x-tenant', on_header_present: { metadata_namespace: 'edge.tenant', key: 'id', type: 'STRING' }, remove: true }] } }
    const rbac = { name: 'envoy.filters.http.rbac', typed_config: { '@type': `${T}.filters.http.rbac.v3.RBAC`, rules: { action: 'ALLOW', policies: { acme: { permissions: [{ any: true }], principals: [{ metadata: { filter: 'edge.tenant', path: [{ key: 'id' }], value: { string_match: { exact: 'acme' } } } }] } } } } }
    const h = app([route('r', '/')], [h2m, rbac])
    const ok = await h.fetch('/x', { headers: { 'x-tenant': 'acme' } })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { headers: Record<string, string> }).headers['x-tenant']).toBeUndefined()
    expect((await h.fetch('/x', { headers: { 'x-tenant': 'other' } })).status).toBe(403)
    expect((await h.fetch('/x')).status).toBe(403)
  })
})

describe('jwt_authn claim_to_headers (as Envoy\'s configs/jwt_authn.yaml)', () => {
  it('claim_path walks nested claims (keys may contain "."); claim_name nests by "."; lists and objects go out as base64 JSON', async () => {
    const signer = await createSigner('ES256', 'k1')
    const jwt = { name: 'envoy.filters.http.jwt_authn', typed_config: { '@type': `${T}.filters.http.jwt_authn.v3.JwtAuthentication`, providers: { p: {
      issuer: 'https://issuer.example', local_jwks: { inline_string: jwks(signer) },
      claim_to_headers: [
        { header_name: 'x-country', claim_path: [{ key: 'address' }, { key: 'country' }] },
        { header_name: 'x-dotted', claim_path: [{ key: 'https://example.com/claims' }, { key: 'team.name' }] },
        { header_name: 'x-nested-name', claim_name: 'address.country' },
        { header_name: 'x-roles', claim_path: [{ key: 'roles' }] },
      ],
    } }, rules: [{ match: { prefix: '/' }, requires: { provider_name: 'p' } }] } }
    const h = harness(config([route('r', '/')], [jwt]), 1_700_000_000_000)
    const token = await signer.sign({ iss: 'https://issuer.example', exp: 1_700_000_000 + 600, address: { country: 'NL' }, 'https://example.com/claims': { 'team.name': 'edge' }, roles: ['a'] })
    const res = await h.fetch('/x', { headers: { authorization: `Bearer ${token}` } })
    const echo = (await res.json()) as { headers: Record<string, string> }
    // A list claim goes out as base64 of its JSON, as Envoy's addJWTClaimToHeader writes it (["a"] → WyJhIl0=).
    expect([echo.headers['x-country'], echo.headers['x-dotted'], echo.headers['x-nested-name'], echo.headers['x-roles']]).toEqual(['NL', 'edge', 'NL', 'WyJhIl0='])
  })

  it('an entry with both or neither of claim_name and claim_path is a clear error', () => {
    const loaded = loadConfig(JSON.stringify(config([route('r', '/')], [{ name: 'envoy.filters.http.jwt_authn', typed_config: { '@type': `${T}.filters.http.jwt_authn.v3.JwtAuthentication`, providers: { p: { local_jwks: { inline_string: '{"keys":[]}' }, claim_to_headers: [{ header_name: 'x' }] } } } }])))
    expect(loaded.ok).toBe(false)
    expect(loaded.errors.map((e) => e.message).join('\n')).toMatch(/exactly one of claim_name, claim_path/)
  })
})

describe('cache', () => {
  it('is accepted with a warning naming the Workers Cache API, and responses pass unchanged (filters-cache.test.ts has the caching)', async () => {
    const cfg = config([route('r', '/')], [{ name: 'envoy.filters.http.cache', typed_config: { '@type': `${T}.filters.http.cache.v3.CacheConfig`, typed_config: { '@type': `${T}.http.cache.simple_http_cache.v3.SimpleHttpCacheConfig` } } }])
    const loaded = loadConfig(JSON.stringify(cfg))
    expect(loaded.ok).toBe(true)
    expect(loaded.warnings.map((w) => w.message).join('\n')).toMatch(/Workers Cache API of the Cloudflare location/)
    const h = harness(cfg)
    const [a, b] = [await h.fetch('/x'), await h.fetch('/x')]
    expect([a.status, b.status]).toEqual([200, 200])
    expect(((await b.json()) as { url: string }).url).toBe('/x')
  })
})
