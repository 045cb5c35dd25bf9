/**
 * A Zipkin-compatible collector for tests: accepts `POST /api/v2/spans` (a
 * JSON array of v2 spans) on 127.0.0.1, as Zipkin and Jaeger's Zipkin
 * endpoint do, and keeps what it received.
 * https://zipkin.io/zipkin-api/#/default/post_spans
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface CollectedSpan {
  traceId: string
  id: string
  parentId?: string
  name: string
  kind?: string
  timestamp: number
  duration: number
  localEndpoint?: { serviceName?: string }
  remoteEndpoint?: { ipv4?: string; port?: number; serviceName?: string }
  tags?: Record<string, string>
}

export interface ZipkinCollector {
  readonly port: number
  readonly spans: CollectedSpan[]
  /** How many POSTs arrived (spans are batched). */
  readonly posts: () => number
  /** Resolves with the first span matching `predicate`, or rejects after `timeoutMs`. */
  waitFor(predicate: (s: CollectedSpan) => boolean, timeoutMs?: number): Promise<CollectedSpan>
  close(): Promise<void>
}

export async function startZipkinCollector(): Promise<ZipkinCollector> {
  const spans: CollectedSpan[] = []
  let posts = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.startsWith('/api/v2/spans')) {
        res.writeHead(404).end()
        return
      }
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
        if (!Array.isArray(body)) throw new Error('expected a JSON array of spans')
        posts++
        spans.push(...(body as CollectedSpan[]))
        res.writeHead(202).end()
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(e))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    spans,
    posts: () => posts,
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const found = spans.find(predicate)
        if (found) return found
        await new Promise((r) => setTimeout(r, 25))
      }
      throw new Error(`no matching span within ${timeoutMs} ms (got ${JSON.stringify(spans)})`)
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
