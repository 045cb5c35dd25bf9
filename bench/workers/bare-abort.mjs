// The bare pass-through plus only what edgevoy does to keep the route timeout on a response body
// without a stream (src/upstream/send.ts, passThrough): the upstream fetch carries an AbortSignal,
// one deadline timer aborts it, and waitUntil holds the request open until the timer fires, because
// workerd drops a request's timers once its handler has returned. The body is the upstream's own.
// Beware when reading its CPU: the timer fires 15 s after each request, so in a bench that runs the
// cases in turn its cost lands in whichever case runs 15 s later, not in this one.
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const abort = new AbortController()
    const res = await fetch(new Request(env.UPSTREAM + url.pathname + url.search, request), { signal: abort.signal })
    ctx.waitUntil(new Promise((resolve) => setTimeout(() => resolve(abort.abort(new Error('route timeout'))), 15_000)))
    return res
  },
}
