/**
 * The shipped example, tried as a new user would: `edgevoy dev -c
 * routes/examples/edge-policies.yaml` in workerd (Miniflare), with the JWKS
 * served by a real HTTP server on 127.0.0.1 and a real upstream. The chain is
 * cors → jwt_authn → rbac → local_ratelimit → router.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/jwt_authn_filter
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/local_rate_limit_filter
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startJwksServer, type JwksServer } from '../support/jwks-server'
import { createSigner, jwks, type TestSigner } from '../support/jwt-signer'
import { freePort, runCli, stopCli, type Cli } from './cli-process'

const upstreams = inject('upstreams')
const ORIGIN = 'https://app.example.com'
let jwksServer: JwksServer
let signer: TestSigner
let cli: Cli | undefined
let base: string

const token = (claims: Record<string, unknown>) => {
  const now = Math.floor(Date.now() / 1000)
  return signer.sign({ iss: 'https://auth.example.com', aud: 'edge-api', sub: 'u1', iat: now, exp: now + 300, ...claims })
}

beforeAll(async () => {
  signer = await createSigner('RS256', 'edge-1')
  jwksServer = await startJwksServer(jwks(signer))
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  cli = runCli(['dev', '-c', 'routes/examples/edge-policies.yaml', '--port', String(port), '--resolve', `service_a=127.0.0.1:${upstreams.a}`, '--resolve', `auth.example.com=127.0.0.1:${jwksServer.port}`])
  await cli.waitFor('serving on')
})

afterAll(async () => {
  if (cli) await stopCli(cli)
  await jwksServer?.close()
})

describe('edgevoy dev -c routes/examples/edge-policies.yaml', () => {
  it('answers a CORS preflight at the edge', async () => {
    const res = await fetch(`${base}/api/orders`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, DELETE')
  })

  it('401 without a token', async () => {
    const res = await fetch(`${base}/api/orders`)
    expect(res.status).toBe(401)
    expect(await res.text()).toBe('Jwt is missing')
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="http://127.0.0.1:${new URL(base).port}/api/orders"`)
  })

  it('403 with a valid token that lacks the admin role', async () => {
    const res = await fetch(`${base}/api/orders`, { headers: { authorization: `Bearer ${await token({ roles: ['reader'] })}` } })
    expect([res.status, await res.text()]).toEqual([403, 'RBAC: access denied'])
  })

  it('/healthz (jwt_authn disabled by typed_per_filter_config) is reachable without a token', async () => {
    const res = await fetch(`${base}/healthz`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-upstream-id')).toBe('a')
  })

  it('200 from the upstream with the admin role, until the bucket of 5 is empty: then 429', async () => {
    const auth = { authorization: `Bearer ${await token({ roles: ['admin'] })}` }
    const statuses: number[] = []
    let last: Response | undefined
    // /healthz above took one of the 5 tokens of this fill interval.
    for (let i = 0; i < 5; i++) {
      last = await fetch(`${base}/api/orders`, { headers: auth })
      statuses.push(last.status)
      if (last.status === 200) expect(last.headers.get('x-upstream-id')).toBe('a')
      await last.arrayBuffer()
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429])
    expect(last!.headers.get('x-envoy-ratelimited')).toBe('true')
    // The JWKS was fetched through the `auth` cluster once, then served from cache.
    expect(jwksServer.fetches).toBe(1)
  })
})
