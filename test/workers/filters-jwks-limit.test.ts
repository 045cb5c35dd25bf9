/**
 * jwt_authn remote_jwks, written as the attack: a JWKS endpoint that answers
 * a huge document (with or without Content-Length) is refused at 256 KiB —
 * "Jwks remote fetch is failed", counted — instead of being buffered and
 * parsed by every isolate. The same key set padded to 1 KiB verifies.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto#extensions-filters-http-jwt-authn-v3-remotejwks
 */
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { isolateStats } from '../../src/observability/stats'
import { MAX_JWKS_BYTES } from '../../src/filters/jwt/provider'
import { bootstrap, harness } from '../support/filters-harness'
import { createSigner, type TestSigner } from '../support/jwt-signer'

const upstreams = inject('upstreams')
let signer: TestSigner

const stat = (name: string) => isolateStats.counters.get(name) ?? 0

function app(padBytes: number, chunked = false) {
  const uri = `http://127.0.0.1:${upstreams.b!}/jwks/${padBytes}?jwk=${encodeURIComponent(JSON.stringify(signer.jwk))}${chunked ? '&chunked=1' : ''}`
  return harness(
    bootstrap(
      upstreams.a!,
      [{ name: 'api', domains: ['*'], routes: [{ name: 'all', match: { prefix: '/' }, route: { cluster: 'upstream' } }] }],
      [
        {
          name: 'envoy.filters.http.jwt_authn',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
            providers: { p: { issuer: 'iss', remote_jwks: { http_uri: { uri, timeout: '5s' } } } },
            rules: [{ match: { prefix: '/' }, requires: { provider_name: 'p' } }],
          },
        },
        { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
      ],
    ),
  )
}

beforeAll(async () => {
  signer = await createSigner('RS256', 'big-1')
})

describe('remote JWKS size limit', () => {
  it('a 1 KiB JWKS verifies the token', async () => {
    const res = await app(1024).fetch('/x', { headers: { authorization: `Bearer ${await signer.sign({ iss: 'iss' })}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-upstream-id')).toBe('a')
  })

  it.each([
    ['with Content-Length', false],
    ['chunked, no Content-Length', true],
  ])('a 300 KiB JWKS (%s) is refused: 401, counted, upstream not reached', async (_, chunked) => {
    expect(300 * 1024).toBeGreaterThan(MAX_JWKS_BYTES)
    const failed = stat('http.ingress.jwt_authn.jwks_fetch_failed')
    const res = await app(300 * 1024, chunked).fetch('/x', { headers: { authorization: `Bearer ${await signer.sign({ iss: 'iss' })}` } })
    expect([res.status, await res.text()]).toEqual([401, 'Jwks remote fetch is failed'])
    expect(res.headers.get('x-upstream-id')).toBeNull()
    expect(stat('http.ingress.jwt_authn.jwks_fetch_failed')).toBe(failed + 1)
  })

  it('just under the limit is still accepted', async () => {
    const res = await app(MAX_JWKS_BYTES - 4096, true).fetch('/x', { headers: { authorization: `Bearer ${await signer.sign({ iss: 'iss' })}` } })
    expect(res.status).toBe(200)
  })
})
