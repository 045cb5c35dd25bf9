/**
 * `envoy.filters.http.header_mutation`: request mutations before the
 * upstream, response mutations on the way back, each list in order. The
 * listener's mutations run first, then the route's (or virtual host's)
 * HeaderMutationPerRoute. Values take the same `%…%` operators as
 * `request_headers_to_add`, their formatters built by the compiler.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/header_mutation_filter
 */
import type { HeaderMutationFilterConfig, HeaderMutationStep, HeaderValueContext } from '../compile/types.js'
import { applyHeaderMutation } from '../router/headers.js'
import { clientAddress } from './client-address.js'
import { editRequestHeaders } from './request.js'
import type { FilterFactory } from './types.js'

function apply(h: Headers, steps: readonly HeaderMutationStep[], ctx: HeaderValueContext): void {
  for (const s of steps) {
    if (s.kind === 'remove') h.delete(s.name)
    else if (s.kind === 'append') applyHeaderMutation(h, s.mutation, ctx)
    else for (const name of [...h.keys()]) if (s.keyMatcher(name)) h.delete(name)
  }
}

export const headerMutationFilter: FilterFactory<'header_mutation'> = {
  kind: 'header_mutation',
  name: 'envoy.filters.http.header_mutation',
  statName: 'header_mutation',
  create(config, { deps }) {
    return async (c, next, perRoute) => {
      const levels: readonly HeaderMutationFilterConfig[] = perRoute ? [config, perRoute] : [config]
      const ctx: HeaderValueContext = { request: c.req.raw, clientIp: clientAddress(c.req.raw), startTime: deps.now() }
      if (levels.some((l) => l.request.length)) editRequestHeaders(c, (h) => levels.forEach((l) => apply(h, l.request, ctx)))
      await next()
      if (!levels.some((l) => l.response.length)) return
      const res = c.res
      const headers = new Headers(res.headers)
      levels.forEach((l) => apply(headers, l.response, ctx))
      const edited = new Response(res.body, { status: res.status, statusText: res.statusText, headers })
      // Cleared first: Hono's c.res setter copies the old response's headers (a removed one would come back).
      c.res = undefined
      c.res = edited
    }
  },
}
