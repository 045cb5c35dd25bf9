/**
 * WebSocket upgrades through `npx edgevoy dev` — a real workerd socket, as a
 * client sees it: forwarded (101 from a real WebSocket upstream) where a
 * route's upgrade_configs enables `websocket`, answered 403 elsewhere
 * (Envoy's downstream_rq_ws_on_non_ws_route), plain requests untouched.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/upgrades
 */
import { createHash } from 'node:crypto'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anyHost, bootstrapYaml } from '../support/envoy-config'
import { freePort, runCli, stopCli } from './cli-process'

/** A WebSocket handshake (RFC 6455 §4.1): 101 when upgraded, else the plain status. */
function handshake(port: number, path: string): Promise<{ status: number; accept?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } })
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve({ status: res.statusCode!, accept: res.headers['sec-websocket-accept'] as string })
    })
    req.on('response', (res) => {
      res.resume()
      resolve({ status: res.statusCode! })
    })
    req.on('error', reject)
    req.end()
  })
}

function wsUpstream(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => res.end(`plain ${req.url}`))
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
    socket.on('error', () => socket.destroy())
    setTimeout(() => socket.end(), 200)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })))
}

const config = (upstreamPort: number) =>
  bootstrapYaml({
    virtual_hosts: anyHost([
      { match: { prefix: '/ws' }, route: { cluster: 'up', upgrade_configs: [{ upgrade_type: 'websocket' }] } },
      { match: { prefix: '/' }, route: { cluster: 'up' } },
    ]),
    clusters: { up: [upstreamPort] },
  })

describe('WebSocket upgrades through edgevoy dev', () => {
  let up: { server: Server; port: number }
  let port = 0
  let cli: ReturnType<typeof runCli>
  beforeAll(async () => {
    up = await wsUpstream()
    const dir = mkdtempSync(join(tmpdir(), 'edgevoy-upgrades-'))
    writeFileSync(join(dir, 'envoy.yaml'), config(up.port))
    port = await freePort()
    cli = runCli(['dev', '-c', join(dir, 'envoy.yaml'), '--port', String(port)])
    await cli.waitFor(`serving on http://127.0.0.1:${port}`)
  })
  afterAll(async () => {
    await stopCli(cli, 'SIGTERM')
    up.server.close()
  })

  it('forwards the upgrade where the route enables websocket: 101 with the upstream\'s accept key', async () => {
    const r = await handshake(port, '/ws/chat')
    expect(r.status).toBe(101)
    expect(r.accept).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=') // RFC 6455's example key → accept
  })
  it('answers 403 where no upgrade_configs enables it, and leaves plain requests alone', async () => {
    expect((await handshake(port, '/other')).status).toBe(403)
    const plain = await new Promise<number>((resolve, reject) => request({ host: '127.0.0.1', port, path: '/other' }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject).end())
    expect(plain).toBe(200)
  })
})
