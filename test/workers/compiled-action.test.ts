/**
 * A route's action is compiled for what the route asks (src/router/action.ts
 * compileAction): what no request can change is worked out when the app is
 * built, and steps the route does not ask for are not run. It must answer
 * exactly as the general path, which works every step out per request
 * (`buildListenerApp(…, { general: true })`): same status, headers, body or
 * reset, what the upstream received, and the same listener and cluster
 * counters — over fixed route shapes (the seed's, and one with everything)
 * and random ones, against real upstreams on 127.0.0.1.
 */
import fc from 'fast-check'
import { describe, expect, inject, it } from 'vitest'
import type { Snapshot } from '../../src/compile/types'
import { StatsStore } from '../../src/observability/stats'
import { buildListenerApp } from '../../src/router/app'
import { ClusterManager } from '../../src/upstream/cluster-manager'
import { anyHost, bootstrap, compileJson } from '../support/config'
import { seededRandom } from '../support/seeded-random'

const { a, b } = inject('upstreams') as { a: number; b: number }

interface Shape {
  route: Record<string, unknown>
  routeHeaders?: Record<string, unknown>
  vhostHeaders?: Record<string, unknown>
  tableHeaders?: Record<string, unknown>
  hcm?: Record<string, unknown>
  /** Whether callers are internal (their x-envoy-* headers count). */
  internal?: boolean
  prefix?: string
}

interface Probe {
  method: 'GET' | 'POST' | 'HEAD'
  path: string
  headers?: Record<string, string>
  /** POST body size in bytes. */
  body?: number
}

/** The same snapshot through the compiled and the general path, each with its own cluster state, counters and (equally seeded) randomness. */
function twoApps(snapshot: Snapshot, internal: boolean) {
  const make = (general: boolean) => {
    const random = seededRandom(7)
    const stats = new StatsStore({ isolateId: 'ca' })
    const clusters = new ClusterManager({ random, now: Date.now })
    const app = buildListenerApp(
      snapshot,
      snapshot.listeners[0]!,
      { fetch: (input, init) => fetch(input, init), bindings: {}, clusters, random, now: Date.now, stats, ...(internal ? { trustEnvoyHeaders: () => true } : {}) },
      { general },
    )
    return { app, stats, clusters }
  }
  return { compiled: make(false), general: make(true) }
}

function configOf(shape: Shape): Snapshot {
  return compileJson(
    bootstrap({
      virtual_hosts: [{ name: 'any', domains: ['*'], ...shape.vhostHeaders, routes: [{ match: { prefix: shape.prefix ?? '/' }, route: shape.route, ...shape.routeHeaders }] }],
      clusters: { up: [a], other: [b] },
      route_config: shape.tableHeaders,
      hcm: shape.hcm,
    }),
  )
}

// What differs from one request to the next whatever the path: ids, times, and the echo's own request id.
const VOLATILE = new Set(['date', 'x-request-id', 'x-envoy-upstream-service-time', 'x-edgevoy-config-version'])

async function observe(app: ReturnType<typeof buildListenerApp>, p: Probe) {
  const body = p.body !== undefined ? new Uint8Array(p.body).map((_, i) => i % 251) : undefined
  const res = await app.request(`http://edge.example.com${p.path}`, { method: p.method, headers: p.headers, body })
  const headers = [...res.headers].filter(([k]) => !VOLATILE.has(k))
  let bytes: Uint8Array | undefined
  try {
    bytes = new Uint8Array(await res.arrayBuffer())
  } catch {
    // A reset (the upstream's, or a timer's): never a clean, shorter body.
  }
  const reset = bytes === undefined
  let text = bytes === undefined ? '' : `${bytes.length} bytes, sha256 ${hex(await crypto.subtle.digest('SHA-256', bytes))}`
  // The echo's JSON: drop what changes per request (the request id it saw).
  if (bytes !== undefined && bytes.length > 0 && res.headers.get('content-type')?.includes('json')) {
    const echo = JSON.parse(new TextDecoder().decode(bytes)) as { headers?: Record<string, string> }
    for (const k of VOLATILE) delete echo.headers?.[k]
    text = JSON.stringify(echo)
  }
  return { status: res.status, headers, reset, ...(reset ? {} : { text }) }
}

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('')

/** The counters both paths keep: listener and cluster stats, and the cluster manager's own. */
function counters(side: ReturnType<typeof twoApps>['compiled'], snapshot: Snapshot) {
  const cluster = (name: string) => {
    const c = side.clusters.status(snapshot.clusters.get(name)!).counters
    return { rq: c.rq, retries: c.retries, overflows: c.requestOverflows, activeRequests: c.activeRequests }
  }
  return { stats: Object.fromEntries([...side.stats.counters].sort()), up: cluster('up'), other: cluster('other') }
}

/** Every general-path observation, so a test can check the probes reached what they meant to (a 504, a reset, a retry). */
const seen: Awaited<ReturnType<typeof observe>>[] = []

async function compare(shape: Shape, probes: readonly Probe[]) {
  const snapshot = configOf(shape)
  const { compiled, general } = twoApps(snapshot, shape.internal === true)
  for (const p of probes) {
    const want = await observe(general.app, p)
    const got = await observe(compiled.app, p)
    expect(got, `${p.method} ${p.path} ${JSON.stringify(p.headers ?? {})} on ${JSON.stringify(shape)}`).toEqual(want)
    seen.push(want)
  }
  const want = counters(general, snapshot)
  expect(counters(compiled, snapshot)).toEqual(want)
  return want
}

// The requests the brief names: external x-envoy-* headers, Connection-nominated headers,
// POST bodies, a slow upstream past the route timeout, 5xx, a reset mid-body, > 64 KiB, HEAD.
const PROBES: readonly Probe[] = [
  { method: 'GET', path: '/echo?q=1' },
  { method: 'GET', path: '/echo', headers: { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '2', 'x-envoy-upstream-rq-timeout-ms': '500', 'x-envoy-upstream-rq-per-try-timeout-ms': '300' } },
  { method: 'GET', path: '/echo', headers: { connection: 'x-hop, keep-alive', 'x-hop': 'gone', 'keep-alive': '5', te: 'trailers' } },
  { method: 'POST', path: '/echo', headers: { 'content-type': 'application/octet-stream' }, body: 1000 },
  { method: 'POST', path: '/echo', body: 100_000 },
  { method: 'GET', path: '/slow/1000' },
  { method: 'GET', path: '/status/503' },
  { method: 'GET', path: '/status/503', headers: { 'x-envoy-retry-on': '5xx' } },
  { method: 'GET', path: '/big/100000?failAt=30000' },
  { method: 'GET', path: '/big/70000' },
  { method: 'GET', path: '/big/1000' },
  { method: 'HEAD', path: '/echo' },
  { method: 'GET', path: '/response-headers?x-upstream=1&connection=x-upstream' },
  { method: 'GET', path: '/echo', headers: { 'x-user': 'alice', 'grpc-timeout': '200m', 'x-pick': 'other' } },
  // Under grpc_timeout_header_max, the header's 100 ms bounds the stream: 504 before the 300 ms upstream answers.
  { method: 'GET', path: '/slow/300', headers: { 'grpc-timeout': '100m' } },
]

const EVERYTHING: Shape = {
  route: {
    cluster: 'up',
    timeout: '0.6s',
    prefix_rewrite: '/',
    host_rewrite_literal: 'upstream.example',
    hash_policy: [{ header: { header_name: 'x-user' } }],
    retry_policy: { retry_on: '5xx', num_retries: 1 },
    idle_timeout: '5s',
    max_stream_duration: { max_stream_duration: '3s', grpc_timeout_header_max: '1s' },
  },
  routeHeaders: { request_headers_to_add: [{ header: { key: 'x-route', value: '%UPSTREAM_HOST%' } }], response_headers_to_add: [{ header: { key: 'x-resp', value: 'r' } }], request_headers_to_remove: ['x-user'] },
  vhostHeaders: { request_headers_to_add: [{ header: { key: 'x-vh', value: 'v' }, append_action: 'ADD_IF_ABSENT' }], response_headers_to_remove: ['x-upstream'] },
  tableHeaders: { response_headers_to_add: [{ header: { key: 'x-table', value: '%DOWNSTREAM_REMOTE_ADDRESS%' } }], most_specific_header_mutations_wins: true },
  hcm: { request_timeout: '2s', stream_idle_timeout: '4s' },
}

describe('a compiled route action answers as the general path', () => {
  it('the seed route (one cluster, nothing else): every probe', { timeout: 30_000 }, async () => {
    seen.length = 0
    const counted = await compare({ route: { cluster: 'up', timeout: '0.6s' } }, PROBES)
    // The probes reach what they are for: a route timeout (504), a 5xx, a reset mid-body, a HEAD's empty body.
    expect(new Set(seen.map((s) => s.status))).toEqual(new Set([200, 503, 504]))
    expect(seen.filter((s) => s.reset)).toHaveLength(1)
    expect(seen.some((s) => s.text === '0 bytes, sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBe(true)
    expect(counted.stats['cluster.up.upstream_rq_504'] ?? counted.stats['http.ingress.downstream_rq_5xx']).toBeGreaterThan(0)
    expect(counted.up.retries).toBe(0) // external callers' x-envoy-retry-on is ignored
  })

  it('the seed route with internal callers (their x-envoy-* headers count)', { timeout: 30_000 }, async () => {
    const counted = await compare({ route: { cluster: 'up', timeout: '0.6s' }, internal: true }, PROBES)
    expect(counted.up.retries).toBeGreaterThan(0) // an internal caller's x-envoy-retry-on retried the 503
  })

  it('a route with everything: rewrites, hash, retries, stream timers, header levels', { timeout: 30_000 }, async () => {
    expect((await compare(EVERYTHING, PROBES)).up.retries).toBeGreaterThan(0)
    await compare({ ...EVERYTHING, internal: true }, PROBES)
    // Stream limits that read the request (grpc-timeout) with no request_timeout beside them.
    await compare({ route: { cluster: 'up', max_stream_duration: { grpc_timeout_header_max: '1s' } } }, PROBES.slice(-2))
  })

  it('weighted clusters and a cluster header', { timeout: 30_000 }, async () => {
    const weighted = { weighted_clusters: { clusters: [{ name: 'up', weight: 60, request_headers_to_add: [{ header: { key: 'x-w', value: 'up' } }], host_rewrite_literal: 'w.example' }, { name: 'other', weight: 40, response_headers_to_add: [{ header: { key: 'x-w', value: 'other' } }] }] }, timeout: '0.6s' }
    await compare({ route: weighted, routeHeaders: { response_headers_to_add: [{ header: { key: 'x-r', value: '%UPSTREAM_HOST%' } }] } }, PROBES)
    await compare({ route: { cluster_header: 'x-pick', timeout: '0.6s' } }, [PROBES[0]!, PROBES[13]!])
  })

  // Random route shapes: each feature on or off, against a few of the probes.
  it('random route shapes', { timeout: 60_000 }, async () => {
    const shapeArb = fc
      .record({
        rewrite: fc.constantFrom(undefined, { prefix_rewrite: '/' }, { regex_rewrite: { pattern: { regex: '^/(.*)$' }, substitution: '/x/\\1' } }),
        host: fc.constantFrom(undefined, { host_rewrite_literal: 'h.example' }, { host_rewrite_header: 'x-user' }, { host_rewrite_path_regex: { pattern: { regex: '^/([a-z]+).*$' }, substitution: '\\1.example' } }),
        hash: fc.boolean(),
        retry: fc.constantFrom(undefined, { retry_on: '5xx', num_retries: 1 }, { retry_on: 'gateway-error,reset', num_retries: 2, per_try_timeout: '0.1s' }),
        timeout: fc.constantFrom('0.6s', '0s'),
        duration: fc.constantFrom(undefined, { max_stream_duration: '2s' }, { grpc_timeout_header_max: '0.3s' }),
        routeAdd: fc.boolean(),
        responseAdd: fc.boolean(),
        remove: fc.boolean(),
        requestTimeout: fc.boolean(),
        internal: fc.boolean(),
      })
      .map(
        (f): Shape => ({
          route: { cluster: 'up', timeout: f.timeout, ...f.rewrite, ...f.host, ...(f.hash ? { hash_policy: [{ header: { header_name: 'x-user' } }] } : {}), ...(f.retry ? { retry_policy: f.retry } : {}), ...(f.duration ? { max_stream_duration: f.duration } : {}) },
          routeHeaders: {
            ...(f.routeAdd ? { request_headers_to_add: [{ header: { key: 'x-add', value: '%UPSTREAM_HOST%' } }] } : {}),
            ...(f.responseAdd ? { response_headers_to_add: [{ header: { key: 'x-resp', value: 'yes' } }] } : {}),
            ...(f.remove ? { request_headers_to_remove: ['x-user'], response_headers_to_remove: ['x-upstream-id'] } : {}),
          },
          hcm: f.requestTimeout ? { request_timeout: '1s' } : {},
          internal: f.internal,
        }),
      )
    const probeArb = fc.subarray(
      PROBES.filter((p) => p.path !== '/slow/1000'),
      { minLength: 2, maxLength: 4 },
    )
    await fc.assert(
      fc.asyncProperty(shapeArb, probeArb, async (shape, probes) => void (await compare(shape, probes))),
      { numRuns: 15 },
    )
  })
})
