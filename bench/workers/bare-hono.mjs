// The floor under edgevoy's per-request cost: bare-buffered.mjs (the route timeout's timer and
// AbortSignal on the upstream fetch, a small body read whole while it runs, a Response built around
// it) served by a Hono app the way src/router/app.ts builds one — HonoBase with its every-path
// router, three async middlewares that set context variables (the connection manager, observe and
// routing stages' places) and one handler. What is above this in the same run is edgevoy's own
// work: header sanitizing, routing, load balancing, stats, retries' bookkeeping (BENCHMARKS.md).
import { HonoBase } from 'hono/hono-base'
import { EveryPathRouter } from '../../src/router/every-path-router.ts'

const app = new HonoBase({ router: new EveryPathRouter() })
app.use(async (c, next) => {
  c.set('downstream', new URL(c.req.url))
  await next()
})
app.use(async (c, next) => {
  c.set('start', Date.now())
  await next()
})
app.use(async (c, next) => {
  c.set('decision', 1)
  c.set('upstreamHost', undefined)
  try {
    await next()
  } finally {
    c.res.headers.set('x-edgevoy-config-version', '0')
  }
})
app.all('*', async (c) => {
  const request = c.req.raw
  const url = c.get('downstream')
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(new Error('route timeout')), 15_000)
  const res = await fetch(c.env.UPSTREAM + url.pathname + url.search, { method: request.method, headers: new Headers(request.headers), redirect: 'manual', signal: abort.signal })
  const body = await res.arrayBuffer()
  clearTimeout(timer)
  const headers = new Headers(res.headers)
  headers.set('x-envoy-upstream-service-time', '1')
  return new Response(body, { status: res.status, statusText: res.statusText, headers })
})
export default { fetch: (request, env, ctx) => app.fetch(request, env, ctx) }
