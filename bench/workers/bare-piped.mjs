// The bare pass-through plus only what edgevoy's body guard does to a response of known length
// (src/upstream/body-guard.ts pipeBody): a FixedLengthStream pipe the route timeout can abort, one
// deadline timer, and waitUntil on the pipe's end. A reference point, not a baseline: the difference
// to bare.mjs is what the runtime charges for keeping Envoy's route timeout on the body.
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const res = await fetch(new Request(env.UPSTREAM + url.pathname + url.search, request))
    const length = res.headers.get('content-length')
    if (res.body === null || length === null) return res
    const out = new FixedLengthStream(Number(length))
    const abort = new AbortController()
    const timer = setTimeout(() => abort.abort(new Error('route timeout')), 15_000)
    const done = res.body.pipeTo(out.writable, { signal: abort.signal }).finally(() => clearTimeout(timer))
    ctx.waitUntil(done.catch(() => undefined))
    return new Response(out.readable, { status: res.status, statusText: res.statusText, headers: res.headers })
  },
}
