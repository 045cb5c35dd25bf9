#!/usr/bin/env node
// A service of the article's mesh (A, B or C), plain Node with no dependencies.
//
//   node mesh/service.mjs --name service_a --port 8081 --instance service_a-1 \
//        [--calls http://127.0.0.1:8788/,http://127.0.0.1:8791/]
//
// Answers every request with JSON { service, instance, request_id, traceparent,
// path, calls }. With --calls it first calls each URL (A calls B and C through
// its sidecar's egress listeners), passing x-request-id and traceparent along
// so the whole path carries one id, and puts their answers in `calls`.
// Logs one line per request: METHOD path -> status <ms>ms id=<x-request-id>.
// GET /healthz answers 200 at once, calls nothing and logs nothing: it is what
// the sidecar's active health check asks (routes/service-a.yaml), once a second.
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    port: { type: 'string' },
    instance: { type: 'string' },
    calls: { type: 'string', default: '' },
    host: { type: 'string', default: '127.0.0.1' },
  },
})
if (!values.name || !values.port) {
  console.error('usage: node mesh/service.mjs --name NAME --port N [--instance ID] [--calls URL,URL]')
  process.exit(2)
}
const instance = values.instance ?? `${values.name}-1`
const calls = values.calls.split(',').map((u) => u.trim()).filter(Boolean)
/** A downstream call that hangs must not hang the answer (Envoy's route timeout is 15 s). */
const CALL_TIMEOUT_MS = 5000

// W3C trace context: keep the trace, or start one when the request has none.
const newTraceparent = () => `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`

async function call(url, headers) {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
    const text = await res.text()
    let body
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { url, status: res.status, ...(res.ok && typeof body === 'object' ? body : { body }) }
  } catch (e) {
    return { url, status: 0, error: e?.cause?.code ?? e?.name ?? String(e) }
  }
}

const server = createServer(async (req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': instance })
    return res.end('ok\n')
  }
  const started = Date.now()
  const requestId = req.headers['x-request-id'] ?? null
  const traceparent = req.headers.traceparent ?? newTraceparent()
  const forwarded = { traceparent, ...(requestId ? { 'x-request-id': requestId } : {}) }
  const answers = await Promise.all(calls.map((url) => call(url, forwarded)))
  const body = JSON.stringify({ service: values.name, instance, request_id: requestId, traceparent, path: req.url, calls: answers }, null, 2)
  res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': instance })
  res.end(`${body}\n`)
  console.log(`${req.method} ${req.url} -> 200 ${Date.now() - started}ms id=${requestId ?? '-'}`)
})

server.listen(Number(values.port), values.host, () => console.log(`${instance} listening on http://${values.host}:${values.port}${calls.length ? `, calls ${calls.join(' ')}` : ''}`))

// Stop on SIGTERM/SIGINT: close the listener and exit at once (in-flight answers are demo traffic).
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => { server.close(); process.exit(0) })
