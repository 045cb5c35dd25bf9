/**
 * A GET through node's HTTP client that records when bytes stopped and whether
 * the response was cut short (a reset) rather than ended cleanly: what the
 * real-socket timeout tests (edge-upstream-dev, passthrough-dev) assert on.
 */
import { request } from 'node:http'

export interface Streamed { status: number; bytes: number; lastByteMs: number; endedMs: number; reset: boolean; body: string }

export function getStreamed(port: number, path: string, headers: Record<string, string> = {}): Promise<Streamed> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let bytes = 0
      let lastByteMs = 0
      let body = ''
      let reset = false
      res.on('data', (d: Buffer) => {
        bytes += d.length
        lastByteMs = Date.now() - started
        if (body.length < 100_000) body += d.toString('latin1')
      })
      res.on('aborted', () => (reset = true))
      res.on('error', () => (reset = true))
      res.on('close', () => resolve({ status: res.statusCode!, bytes, lastByteMs, endedMs: Date.now() - started, reset: reset || !res.complete, body }))
    })
    req.on('error', reject)
    req.end()
  })
}
