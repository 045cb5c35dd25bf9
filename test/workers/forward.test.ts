/**
 * forward() inside workerd against real Node upstreams on 127.0.0.1
 * (test/support/global-setup.ts). Envoy's behaviour is the spec:
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers
 */
import { describe, expect, inject, it } from 'vitest'
import type { Host } from '../../src/compile/types'
import { isProxyError, type ProxyError } from '../../src/errors'
import { forward, type ForwardRequest } from '../../src/upstream/forward'
import { createLoadBalancer } from '../../src/upstream/lb'
import { prepareUpstreamHeaders, type UpstreamHeaderOptions } from '../../src/upstream/proxy-headers'
import { controlClient } from '../support/control-client'
import { seededRandom, testCluster, testHost } from '../support/hosts'
import type { EchoBody } from '../support/upstream-types'

const upstreams = inject('upstreams')
const control = controlClient(inject('upstreamControl'))
const hostA = testHost({ port: upstreams.a! })
const deps = { fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init), now: () => Date.now() }

interface Call {
  path?: string
  init?: RequestInit
  host?: Host
  timeoutMs?: number
  signal?: AbortSignal
  headers?: Partial<UpstreamHeaderOptions>
}

/** Builds the downstream request as the router would see it, and forwards it. */
function send({ path = '/echo', init, host = hostA, timeoutMs = 15_000, signal, headers }: Call): Promise<Response> {
  const request = new Request(`https://edge.example.com${path}`, init)
  const req: ForwardRequest = {
    request,
    host,
    cluster: testCluster('test', [host]),
    path,
    headers: prepareUpstreamHeaders(request, {
      originalAuthority: 'edge.example.com',
      authority: 'edge.example.com',
      timeoutMs,
      ...headers,
    }),
    timeoutMs,
    signal,
  }
  return forward(req, deps)
}

const echo = async (res: Response) => (await res.json()) as EchoBody
const proxyError = async (promise: Promise<unknown>): Promise<ProxyError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isProxyError(error)) throw new Error(`expected a ProxyError, got ${String(error)}`)
  return error
}

/** `bytes` bytes of the upstream's /big/ pattern (i % 251), in 64 KiB chunks. */
function patternStream(bytes: number): ReadableStream<Uint8Array> {
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes) return controller.close()
      const chunk = new Uint8Array(Math.min(65_536, bytes - offset))
      for (let i = 0; i < chunk.length; i++) chunk[i] = (offset + i) % 251
      offset += chunk.length
      controller.enqueue(chunk)
    },
  })
}

async function sha256Hex(stream: ReadableStream<Uint8Array>): Promise<{ hex: string; bytes: number }> {
  const digest = new crypto.DigestStream('SHA-256')
  let bytes = 0
  await stream
    .pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          bytes += chunk.byteLength
          c.enqueue(chunk)
        },
      }),
    )
    .pipeTo(digest)
  const hex = [...new Uint8Array(await digest.digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
  return { hex, bytes }
}

describe('forward: request and response round trip', () => {
  it('keeps method, path and query, and streams the body', async () => {
    const res = await send({ path: '/echo/x?y=1&z=%20a', init: { method: 'PUT', body: 'hello' } })
    expect(res.status).toBe(200)
    const body = await echo(res)
    expect(body).toMatchObject({ id: 'a', method: 'PUT', url: '/echo/x?y=1&z=%20a', bodyBytes: 5 })
    expect(body.bodySha256).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')
  })

  it('sends no body for GET and HEAD', async () => {
    expect(await echo(await send({ init: { method: 'GET' } }))).toMatchObject({ method: 'GET', bodyBytes: 0 })
    const head = await send({ init: { method: 'HEAD' } })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('streams a 20 MiB upload intact', async () => {
    const size = 20 * 1024 * 1024
    const expected = await sha256Hex(patternStream(size))
    const res = await send({ init: { method: 'POST', body: patternStream(size) } })
    const body = await echo(res)
    expect(body.bodyBytes).toBe(size)
    expect(body.bodySha256).toBe(expected.hex)
  })

  it('streams a body whose length the client declared (Content-Length kept)', async () => {
    const size = 3 * 1024 * 1024
    const res = await send({
      init: { method: 'POST', body: patternStream(size), headers: { 'content-length': String(size) } },
    })
    const body = await echo(res)
    expect(body.headers['content-length']).toBe(String(size))
    expect(body.bodyBytes).toBe(size)
    expect(body.bodySha256).toBe((await sha256Hex(patternStream(size))).hex)
  })

  it('streams a 20 MiB download intact', async () => {
    const size = 20 * 1024 * 1024
    const res = await send({ path: `/big/${size}` })
    expect(res.status).toBe(200)
    const got = await sha256Hex(res.body!)
    expect(got).toEqual(await sha256Hex(patternStream(size)))
  })

  it('errors the body stream when the upstream dies mid-body (never a clean truncated body)', async () => {
    const res = await send({ path: '/big/1048576?failAt=100000' })
    expect(res.status).toBe(200)
    await expect(res.arrayBuffer()).rejects.toThrow()
  })

  it('passes a 3xx through untouched instead of following it', async () => {
    const res = await send({ path: '/redirect?to=/elsewhere' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/elsewhere')
    expect(await res.text()).toBe('redirecting')
  })

  it('passes upstream error statuses through', async () => {
    expect((await send({ path: '/status/503' })).status).toBe(503)
    expect((await send({ path: '/status/204' })).status).toBe(204)
  })

  it('adds x-envoy-upstream-service-time as an integer of ms', async () => {
    const res = await send({ path: '/slow/120' })
    const serviceTime = Number(res.headers.get('x-envoy-upstream-service-time'))
    expect(Number.isInteger(serviceTime)).toBe(true)
    expect(serviceTime).toBeGreaterThanOrEqual(100)
    await res.body?.cancel()
  })

  it('forwards through a service binding when the host names one', async () => {
    const seen: string[] = []
    const binding = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init)
        seen.push(request.url)
        return fetch(`http://127.0.0.1:${upstreams.b}${new URL(request.url).pathname}`, request)
      },
    } as unknown as Fetcher
    const host = testHost({ hostname: 'svc.internal', port: 80, binding: 'SVC' })
    const request = new Request('https://edge.example.com/via-binding')
    const res = await forward(
      { request, host, cluster: testCluster('svc', [host]), path: '/via-binding', headers: new Headers(), timeoutMs: 0 },
      { ...deps, bindings: { SVC: binding } },
    )
    expect(seen).toEqual(['http://svc.internal/via-binding'])
    expect(await echo(res)).toMatchObject({ id: 'b', url: '/via-binding' })
  })
})

describe('forward: headers', () => {
  it('drops the standard hop-by-hop request headers but no name listed in Connection (the connection manager stage removed the client\'s)', async () => {
    const body = await echo(
      await send({
        init: {
          headers: {
            connection: 'keep-alive, x-set-by-a-filter',
            'x-set-by-a-filter': 'kept',
            'keep-alive': 'timeout=5',
            'proxy-connection': 'keep-alive',
            trailer: 'x-checksum',
            'x-end-to-end': 'kept',
            'proxy-authorization': 'Basic Zm9vOmJhcg==',
          },
        },
      }),
    )
    expect(body.headers['x-set-by-a-filter']).toBe('kept')
    expect(body.headers['keep-alive']).toBeUndefined()
    expect(body.headers['proxy-connection']).toBeUndefined()
    expect(body.headers.trailer).toBeUndefined()
    expect(body.headers['x-end-to-end']).toBe('kept')
    // Envoy forwards Proxy-Authorization (it is not in its hop-by-hop list).
    expect(body.headers['proxy-authorization']).toBe('Basic Zm9vOmJhcg==')
  })

  it('drops hop-by-hop response headers and those named in Connection', async () => {
    const res = await send({ path: '/response-headers?connection=x-hop&x-hop=1&keep-alive=timeout%3D5&x-kept=yes' })
    expect(res.headers.get('x-hop')).toBeNull()
    expect(res.headers.get('keep-alive')).toBeNull()
    expect(res.headers.get('connection')).toBeNull()
    expect(res.headers.get('x-kept')).toBe('yes')
    await res.body?.cancel()
  })

  // x-forwarded-for/-proto, x-request-id and x-envoy-* sanitizing happen before the
  // filters (src/router/downstream.ts): test/workers/edge-remote-address.test.ts.
  it('sets x-envoy-original-path and x-envoy-expected-rq-timeout-ms over whatever the request carried', async () => {
    const body = await echo(
      await send({
        timeoutMs: 3000,
        headers: { originalPath: '/before-rewrite' },
        init: { headers: { 'x-envoy-expected-rq-timeout-ms': '1', 'x-envoy-original-path': '/forged' } },
      }),
    )
    expect(body.headers['x-envoy-original-path']).toBe('/before-rewrite')
    expect(body.headers['x-envoy-expected-rq-timeout-ms']).toBe('3000')
  })

  it('workerd sends the URL host as Host; the Envoy authority travels in x-forwarded-host', async () => {
    const body = await echo(
      await send({ headers: { originalAuthority: 'edge.example.com', authority: 'rewritten.example.com' } }),
    )
    expect(body.headers.host).toBe(`127.0.0.1:${upstreams.a}`)
    expect(body.headers['x-forwarded-host']).toBe('rewritten.example.com')
  })
})

describe('forward: failures', () => {
  it('times out with 504 "upstream request timeout" within the bound', async () => {
    const started = Date.now()
    const error = await proxyError(send({ path: '/slow/5000', timeoutMs: 200 }))
    expect(Date.now() - started).toBeLessThan(2000)
    expect(error.code).toBe('upstream_timeout')
    const res = error.toResponse()
    expect(res.status).toBe(504)
    expect(await res.text()).toBe('upstream request timeout')
  })

  it('the try timeout covers only the wait for headers (the body is bounded by the caller, see timeouts-body.test.ts)', async () => {
    // Envoy: per_try_timeout "only applies before any part of the response is sent to the downstream".
    const res = await send({ path: '/slow-body/600', timeoutMs: 300 })
    expect(res.status).toBe(200)
    expect((await res.arrayBuffer()).byteLength).toBe(2048)
  })

  it('connection refused on an unused port → 503 with Envoy text', async () => {
    const error = await proxyError(send({ host: testHost({ port: inject('unusedPort') }) }))
    expect(error.code).toBe('upstream_connect_failure')
    const res = error.toResponse()
    expect(res.status).toBe(503)
    expect(await res.text()).toBe('upstream connect error or disconnect/reset before headers. reset reason: connection failure')
  })

  it('a killed upstream is refused, and serves again after restart', async () => {
    const { port } = await control.start('forward-test-kill')
    const host = testHost({ port })
    expect((await send({ host })).status).toBe(200)
    await control.kill('forward-test-kill')
    expect((await proxyError(send({ host }))).code).toBe('upstream_connect_failure')
    await control.restart('forward-test-kill')
    expect(await echo(await send({ host }))).toMatchObject({ id: 'forward-test-kill' })
  })

  it('an upstream that resets before headers → 503 (workerd cannot tell a reset from a refused connect)', async () => {
    const { port } = await control.start('forward-test-reset')
    await control.setBehavior('forward-test-reset', { reset: true })
    const error = await proxyError(send({ host: testHost({ port }) }))
    expect(error.code).toBe('upstream_connect_failure')
    expect(error.status).toBe(503)
  })

  it('a downstream abort cancels the upstream request', async () => {
    const controller = new AbortController()
    const pending = send({ path: '/slow/5000', signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    expect((await proxyError(pending)).code).toBe('downstream_disconnect')
  })
})

describe('forward: WebSocket', () => {
  it('passes an Upgrade: websocket through and returns the 101 with its socket', async () => {
    const res = await send({ path: '/ws', init: { headers: { upgrade: 'websocket' } } })
    expect(res.status).toBe(101)
    expect(res.headers.get('x-envoy-upstream-service-time')).toMatch(/^\d+$/)
    const ws = res.webSocket!
    expect(ws).toBeTruthy()
    ws.accept()
    const message = new Promise<string>((resolve) => ws.addEventListener('message', (e) => resolve(String(e.data))))
    ws.send('hello upstream')
    expect(await message).toBe('hello upstream')
    ws.close(1000, 'done')
  })
})

describe('forward + ROUND_ROBIN over three real upstreams', () => {
  it('rotates a → b → c', async () => {
    const hosts = ['a', 'b', 'c'].map((id) => testHost({ port: upstreams[id]! }))
    const lb = createLoadBalancer(testCluster('abc', hosts), { random: seededRandom(1), now: () => 0 })
    const ids: string[] = []
    for (let i = 0; i < 6; i++) ids.push((await echo(await send({ host: lb.chooseHost()! }))).id)
    expect(new Set(ids.slice(0, 3)).size).toBe(3)
    expect(ids.slice(3)).toEqual(ids.slice(0, 3))
  })
})
