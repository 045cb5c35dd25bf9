/**
 * A real HTTP upstream for tests: a Node server on 127.0.0.1 that echoes what
 * it received, plus a few paths that misbehave on purpose.
 *
 *   any path          200 JSON `EchoBody`: { id, method, url, headers, bodyBytes, bodySha256 }
 *                     (the request body is hashed as it streams, never held in memory)
 *   /status/:code     that status, echo body (none for 1xx/204/304)
 *   /slow/:ms         echo after `ms` (the timer is dropped if the client goes away)
 *   /slow-body/:ms    headers and 1 KiB now, the other 1 KiB after `ms`
 *   /redirect?to=X    302 with `Location: X` (default `/echo`)
 *   /big/:bytes       streams `bytes` bytes of `patternByte(i)`; `?failAt=N` destroys
 *                     the socket after N bytes (a truncated response); `?cache-control=V` adds
 *                     that header, `&chunked` leaves out Content-Length
 *   /drip/:n?every=ms 200, then 16 bytes every `ms` (default 200), `n` times (a slow-drip body);
 *                     chunked, or with `&sized` a Content-Length of 16 × n; `&piece=B`: B bytes a time, not 16
 *   /early-hints      103 Early Hints (a `link` header), then the 200 echo (`?twice`: two 103s,
 *                     `?chunked`: the echo chunked)
 *   /continue         an unsolicited 100 Continue, then the 200 echo
 *   /ws               WebSocket (RFC 6455 by hand): echoes each text frame
 *   /response-headers?k=v  echo, with each query parameter added as a response header; with `etag=E`
 *                     a request whose If-None-Match is E gets a 304 with those headers, no body;
 *                     `status=N` answers with that status
 *   /gzip             echo JSON gzip-encoded (`Content-Encoding: gzip`)
 *   /oauth2/token     a real OAuth 2.0 token endpoint (oauth2-token-endpoint.ts)
 *   /health           200 `ok`, or 503 after `setBehavior({ healthy: false })`
 *   /jwks/:pad?jwk=J  a JWKS `{ keys: [J], pad: "xxx…" }` with `pad` bytes of padding
 *                     (`&chunked=1`: no Content-Length), for jwt_authn's size limit
 *
 * `setBehavior` applies to every path but /health: `delayMs` before answering,
 * `status` to answer with instead, `reset` to destroy the socket without answering.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import type { EchoBody, UpstreamBehavior } from './upstream-types'
import { acceptWebSocket } from './websocket'
import { tokenEndpoint } from './oauth2-token-endpoint'

export type { EchoBody, UpstreamBehavior } from './upstream-types'

export interface Upstream {
  readonly id: string
  readonly port: number
  readonly url: string
  /** Requests received since start (not reset by restart). */
  readonly requests: number
  readonly listening: boolean
  readonly behavior: Readonly<UpstreamBehavior>
  /** What the last echoed request looked like (method, url, headers, body size and hash). */
  readonly last: EchoBody | undefined
  setBehavior(behavior: UpstreamBehavior): void
  /** Stops listening and destroys every open socket: later connects are refused. */
  kill(): Promise<void>
  /** Listens again on the same port. */
  restart(): Promise<void>
  /** kill(), for teardown. */
  close(): Promise<void>
}

/** Byte `i` of every /big/ body: a 251-cycle, so offsets are distinguishable. */
export const patternByte = (i: number): number => i % 251

const CHUNK = 64 * 1024

export async function startUpstream(options: { id: string; port?: number }): Promise<Upstream> {
  const { id } = options
  let requests = 0
  let behavior: UpstreamBehavior = { healthy: true }
  let last: EchoBody | undefined
  const sockets = new Set<Socket>()

  const server = createServer((req, res) => {
    requests++
    void handle(req, res).catch(() => res.destroy())
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    requests++
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') return void socket.destroy()
    acceptWebSocket(req, socket, head)
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://upstream')
    const [, first, arg] = url.pathname.split('/')
    if (first === 'health') {
      req.resume()
      res.writeHead(behavior.healthy === false ? 503 : 200, { 'content-type': 'text/plain' })
      return void res.end(behavior.healthy === false ? 'unhealthy' : 'ok')
    }
    if (behavior.reset) return void req.socket.destroy()
    if (behavior.delayMs) await sleep(behavior.delayMs, req)
    if (first === 'slow') await sleep(Number(arg), req)
    if (req.destroyed || res.destroyed) return
    if (first === 'oauth2' && arg === 'token') return void (last = await tokenEndpoint(id, req, res, url))

    const echo = await readEcho(id, req)
    last = echo
    if (behavior.status) return sendJson(res, behavior.status, echo)
    if (first === 'status') return sendJson(res, Number(arg), echo)
    if (first === 'redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/echo', 'content-type': 'text/plain' })
      return void res.end('redirecting')
    }
    if (first === 'response-headers') {
      for (const [name, value] of url.searchParams) res.setHeader(name, value)
      const etag = url.searchParams.get('etag')
      if (etag !== null && req.headers['if-none-match'] === etag) return void res.writeHead(304).end()
      return sendJson(res, Number(url.searchParams.get('status') ?? 200), echo)
    }
    if (first === 'jwks') {
      const body = JSON.stringify({ keys: [JSON.parse(url.searchParams.get('jwk') ?? '{}')], pad: 'x'.repeat(Number(arg)) })
      if (url.searchParams.get('chunked') !== '1') res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) })
      else res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(body)
    }
    if (first === 'gzip') {
      const body = gzipSync(JSON.stringify(echo))
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) })
      return void res.end(body)
    }
    if (first === 'big') return streamBig(res, Number(arg), url.searchParams.get('failAt'), url.searchParams.get('cache-control'), url.searchParams.has('chunked'))
    if (first === 'drip') {
      const piece = Number(url.searchParams.get('piece') ?? 16)
      const sized = url.searchParams.has('sized') ? { 'content-length': String(piece * Number(arg)) } : {}
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...sized })
      const every = Number(url.searchParams.get('every') ?? 200)
      for (let i = 0; i < Number(arg) && !res.destroyed; i++) {
        res.write(Buffer.alloc(piece, 100))
        await sleep(every, req)
      }
      return void res.end()
    }
    if (first === 'early-hints') {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' })
      if (url.searchParams.has('twice')) res.writeEarlyHints({ link: '</app.js>; rel=preload; as=script' })
      if (!url.searchParams.has('chunked')) return sendJson(res, 200, echo)
      // The final response chunked: two writes, no Content-Length.
      const json = JSON.stringify(echo)
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream-id': id })
      res.write(json.slice(0, 10))
      await sleep(50, req)
      return void res.end(json.slice(10))
    }
    if (first === 'continue') {
      res.writeContinue()
      return sendJson(res, 200, echo)
    }
    if (first === 'slow-body') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '2048' })
      res.write(Buffer.alloc(1024, 97))
      await sleep(Number(arg), req)
      return void res.end(Buffer.alloc(1024, 98))
    }
    sendJson(res, 200, echo)
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  await listen(options.port ?? 0)
  const port = (server.address() as AddressInfo).port

  const kill = async () => {
    if (!server.listening) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }

  return {
    id,
    port,
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests
    },
    get listening() {
      return server.listening
    },
    get behavior() {
      return behavior
    },
    get last() {
      return last
    },
    setBehavior(next) {
      behavior = { healthy: true, ...next }
    },
    kill,
    restart: async () => {
      if (!server.listening) await listen(port)
    },
    close: kill,
  }
}

/** Drains the request body through SHA-256, counting bytes. */
async function readEcho(id: string, req: IncomingMessage): Promise<EchoBody> {
  const hash = createHash('sha256')
  let bodyBytes = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bodyBytes += chunk.length
    hash.update(chunk)
  }
  return { id, method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes, bodySha256: hash.digest('hex') }
}

function sendJson(res: ServerResponse, status: number, echo: EchoBody): void {
  const noBody = status < 200 || status === 204 || status === 304
  res.writeHead(status, noBody ? {} : { 'content-type': 'application/json', 'x-upstream-id': echo.id })
  res.end(noBody ? undefined : JSON.stringify(echo))
}

async function streamBig(res: ServerResponse, bytes: number, failAt: string | null, cacheControl: string | null = null, chunked = false): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream', ...(chunked ? {} : { 'content-length': String(bytes) }), ...(cacheControl !== null ? { 'cache-control': cacheControl } : {}) })
  const stopAt = failAt === null ? bytes : Math.min(bytes, Number(failAt))
  for (let offset = 0; offset < stopAt && !res.destroyed; offset += CHUNK) {
    const size = Math.min(CHUNK, stopAt - offset)
    const chunk = Buffer.allocUnsafe(size)
    for (let i = 0; i < size; i++) chunk[i] = patternByte(offset + i)
    if (!res.write(chunk)) await drainOrClose(res)
  }
  if (stopAt < bytes) return void res.socket?.destroy()
  res.end()
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

/** Resolves after `ms`, or early when the client disconnects (so /slow is abortable). */
function sleep(ms: number, req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      req.socket.off('close', done)
      resolve()
    }
    req.socket.once('close', done)
  })
}
