/**
 * A real JWKS endpoint on 127.0.0.1 for jwt_authn's remote_jwks (Node only).
 *   GET /jwks.json   the current document (set with `setDocument`), counted in `fetches`
 * Anything else is 404.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface JwksServer {
  readonly port: number
  readonly url: string
  readonly fetches: number
  setDocument(body: string, status?: number): void
  close(): Promise<void>
}

export async function startJwksServer(initial: string): Promise<JwksServer> {
  let body = initial
  let status = 200
  let fetches = 0
  const server = createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end()
      return
    }
    fetches++
    res.writeHead(status, { 'content-type': 'application/json' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://127.0.0.1:${port}/jwks.json`,
    get fetches() {
      return fetches
    },
    setDocument(b, s = 200) {
      body = b
      status = s
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
