/**
 * The route's hash_policy → request hash, and cookie affinity end to end.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction-hashpolicy
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#ring-hash
 */
import { describe, expect, inject, it } from 'vitest'
import { compileConfig } from '../../src/compile/index'
import { validateConfig } from '../../src/config/load'
import { hashPolicy } from '../../src/config/schema/hash-policy'
import { lowerHashPolicy } from '../../src/compile/actions'
import type { HashPolicy } from '../../src/compile/types'
import { computeHash, cookieValue } from '../../src/upstream/lb/hash-policy'
import { createMaglev } from '../../src/upstream/lb/maglev'
import { createRingHash } from '../../src/upstream/lb/ring-hash'
import type { LoadBalancerFactory } from '../../src/upstream/lb/types'
import { xxHash64 } from '../../src/upstream/lb/xxhash64'
import type { EchoBody } from '../support/control-client'
import { bootstrap } from '../support/config'
import { seededRandom, testHost } from '../support/hosts'

const M64 = (1n << 64n) - 1n
const rotl1 = (h: bigint) => ((h << 1n) | (h >> 63n)) & M64
const parse = (raw: unknown[]): HashPolicy[] => raw.map((r) => lowerHashPolicy(hashPolicy.parse(r))!)
const req = (url: string, headers: Record<string, string> = {}) => new Request(url, { headers })

describe('computeHash', () => {
  it('header: XXH64 of the value; absent header, no hash', () => {
    const p = parse([{ header: { header_name: 'x-user' } }])
    expect(computeHash(p, req('http://x/', { 'x-user': 'alice' }), Math.random)).toEqual({ hash: xxHash64('alice') })
    expect(computeHash(p, req('http://x/'), Math.random)).toEqual({})
  })

  it('query_parameter: the first raw value', () => {
    const p = parse([{ query_parameter: { name: 'u' } }])
    expect(computeHash(p, req('http://x/p?a=1&u=bob%20x&u=eve'), Math.random).hash).toBe(xxHash64('bob%20x'))
    expect(computeHash(p, req('http://x/p?uu=1'), Math.random).hash).toBeUndefined()
  })

  it('connection_properties.source_ip: CF-Connecting-IP', () => {
    const p = parse([{ connection_properties: { source_ip: true } }])
    expect(computeHash(p, req('http://x/', { 'cf-connecting-ip': '203.0.113.9' }), Math.random).hash).toBe(xxHash64('203.0.113.9'))
  })

  it('several policies combine as rotl(hash, 1) ^ next; a missing input is skipped', () => {
    const p = parse([{ header: { header_name: 'a' } }, { header: { header_name: 'missing' } }, { query_parameter: { name: 'q' } }])
    const h = computeHash(p, req('http://x/?q=2', { a: '1' }), Math.random).hash
    expect(h).toBe(rotl1(xxHash64('1')) ^ xxHash64('2'))
  })

  it('the same rule twice does not cancel out', () => {
    const p = parse([{ header: { header_name: 'a' } }, { header: { header_name: 'a' } }])
    expect(computeHash(p, req('http://x/', { a: '1' }), Math.random).hash).not.toBe(0n)
  })

  it('terminal: stops once a hash exists, not before', () => {
    const p = parse([{ header: { header_name: 'a' }, terminal: true }, { query_parameter: { name: 'q' } }])
    expect(computeHash(p, req('http://x/?q=2', { a: '1' }), Math.random).hash).toBe(xxHash64('1'))
    expect(computeHash(p, req('http://x/?q=2'), Math.random).hash).toBe(xxHash64('2'))
  })

  it('cookie present: XXH64 of its value, quotes removed; no Set-Cookie', () => {
    const p = parse([{ cookie: { name: 'sid', ttl: '3600s', path: '/' } }])
    expect(computeHash(p, req('http://x/', { cookie: 'a=b; sid="0123abcd"' }), Math.random)).toEqual({ hash: xxHash64('0123abcd') })
  })

  it('cookie absent with ttl: generates one (Envoy\'s Set-Cookie format) and hashes it', () => {
    const p = parse([{ cookie: { name: 'sid', ttl: '3600s', path: '/app', attributes: [{ name: 'SameSite', value: 'Lax' }] } }])
    const { hash, setCookie } = computeHash(p, req('http://x/'), seededRandom(1))
    expect(setCookie).toMatch(/^sid="[0-9a-f]{16}"; Max-Age=3600; Path=\/app; SameSite=Lax; HttpOnly$/)
    expect(hash).toBe(xxHash64(cookieValue(setCookie!, 'sid')!))
  })

  it('cookie absent without ttl: no hash, no cookie', () => {
    expect(computeHash(parse([{ cookie: { name: 'sid' } }]), req('http://x/'), Math.random)).toEqual({})
  })

  it('the schema rejects an entry with two specifiers, or filter_state', () => {
    expect(hashPolicy.safeParse({ header: { header_name: 'a' }, cookie: { name: 'b' } }).success).toBe(false)
    expect(hashPolicy.safeParse({ filter_state: { key: 'k' } }).success).toBe(false)
  })
})

describe.each([
  ['RING_HASH', createRingHash],
  ['MAGLEV', createMaglev],
] as [string, LoadBalancerFactory][])('cookie affinity with %s against real upstreams', (_, create) => {
  const upstreams = inject('upstreams')
  const hosts = ['a', 'b', 'c'].map((id) => testHost({ port: upstreams[id]! }))
  const policies = parse([{ cookie: { name: 'edgevoy-affinity', ttl: '60s', path: '/' } }])

  /** What the proxy does per request: hash, pick, forward, add the cookie. */
  const proxy = async (lb: ReturnType<LoadBalancerFactory>, cookie?: string) => {
    const request = req('http://proxy/sticky', cookie ? { cookie } : {})
    const { hash, setCookie } = computeHash(policies, request, Math.random)
    const host = lb.chooseHost({ request, hash })!
    const res = await fetch(`${host.origin}/sticky`)
    return { id: ((await res.json()) as EchoBody).id, setCookie }
  }

  it('sets the cookie once, then every request sticks to one upstream', async () => {
    const lb = create(hosts, { random: seededRandom(5), now: () => 0 })
    const first = await proxy(lb)
    expect(first.setCookie).toBeDefined()
    const cookie = first.setCookie!.split(';')[0]!
    const ids = new Set([first.id])
    for (let i = 0; i < 20; i++) {
      const next = await proxy(lb, cookie)
      expect(next.setCookie).toBeUndefined()
      ids.add(next.id)
    }
    expect(ids.size).toBe(1)
  })

  it('different sessions spread over the upstreams', async () => {
    const lb = create(hosts, { random: seededRandom(6), now: () => 0 })
    const ids = new Set<string>()
    for (let i = 0; i < 30; i++) ids.add((await proxy(lb)).id)
    expect(ids.size).toBe(3)
  })
})

describe('hash_policy in a route config', () => {
  const config = (hash_policy: unknown[]) =>
    bootstrap({
      virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', hash_policy } }] }],
      clusters: { c: [8080] },
    })

  it('validates every specifier, and compiles with ttl in milliseconds', () => {
    const r = validateConfig(config([{ cookie: { name: 'sid', ttl: '30s', path: '/' } }, { header: { header_name: 'x-user' }, terminal: true }, { connection_properties: { source_ip: true } }, { query_parameter: { name: 'u' } }]))
    expect(r.errors).toEqual([])
    // The compiled route action carries the typed policies in `hashPolicy`.
    const action = compileConfig(r.config!).listeners[0]!.routeTable.virtualHosts[0]!.routes[0]!.action
    expect(action.type === 'route' && action.hashPolicy.map((p) => p.kind)).toEqual(['cookie', 'header', 'source_ip', 'query_parameter'])
    expect(action.type === 'route' && action.hashPolicy[0]!.kind === 'cookie' && action.hashPolicy[0]!.ttlMs).toBe(30_000)
  })

  it('a typo is an error with its path', () => {
    const r = validateConfig(config([{ header: { headr_name: 'x' } }]))
    expect(r.errors.length).toBeGreaterThan(0)
  })
})
