// What main's connection manager stage did per request, 100 times (issue 14, h-req14): a copy of the
// client's Request (its headers copied inside it), `cf` kept. CPU over bare.mjs ÷ 100 = one copy.
export default {
  fetch(request, env) {
    let copy
    for (let i = 0; i < 100; i++) {
      copy = new Request(request.url, { method: request.method, headers: request.headers, body: null, redirect: request.redirect, signal: request.signal })
      Object.defineProperty(copy, 'cf', { value: request.cf, enumerable: true, configurable: true })
    }
    copy.headers.set('x-request-id', 'r')
    const url = new URL(request.url)
    return fetch(new Request(env.UPSTREAM + url.pathname + url.search, request))
  },
}
