// The bare pass-through plus only what edgevoy does to a small response body of known length
// (src/upstream/body-guard.ts readSmallBody): the route timeout's timer and AbortSignal on the fetch,
// the body read whole while it runs, the timer cleared, and a Response built around the bytes.
// A reference point beside bare-piped.mjs (the FixedLengthStream pipe it replaces).
export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    const abort = new AbortController()
    const timer = setTimeout(() => abort.abort(new Error('route timeout')), 15_000)
    const res = await fetch(new Request(env.UPSTREAM + url.pathname + url.search, request), { signal: abort.signal })
    const body = await res.arrayBuffer()
    clearTimeout(timer)
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
  },
}
