// What a filter's header change (filters/request.ts editRequestHeaders) did per request before h-req14,
// 100 times: a Headers copy, then a Request copy around it (`cf` kept). CPU over bare.mjs ÷ 100 = one.
// Since h-req14 the filter sets the header in the connection manager's map in place: one set().
export default {
  fetch(request, env) {
    let req = new Request(request.url, { method: request.method, headers: request.headers, signal: request.signal })
    for (let i = 0; i < 100; i++) {
      const headers = new Headers(req.headers)
      headers.set('x-filter', String(i))
      const copy = new Request(req, { headers })
      Object.defineProperty(copy, 'cf', { value: request.cf, enumerable: true, configurable: true })
      req = copy
    }
    const url = new URL(request.url)
    return fetch(new Request(env.UPSTREAM + url.pathname + url.search, request))
  },
}
