/**
 * `envoy.filters.http.header_mutation`: request mutations before the
 * upstream, response mutations on the way back, each list in order. The
 * listener's mutations run first, then the route's (or virtual host's)
 * HeaderMutationPerRoute. Values take the same `%…%` operators as
 * `request_headers_to_add`.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/header_mutation_filter
 */
import { compileHeaderMutations } from '../compile/headers.js'
import { compileStringMatcher } from '../compile/strings.js'
import type { HeaderMutation } from '../compile/types.js'
import type { HeaderMutationEntry, HeaderMutationFilterConfig } from '../config/schema/filters/header-mutation.js'
import { applyHeaderMutation, type HeaderValueContext } from '../router/headers.js'
import { clientAddress } from './client-address.js'
import { editRequestHeaders } from './request.js'
import type { FilterFactory } from './types.js'

type Step = (headers: Headers, ctx: HeaderValueContext) => void

function step(m: HeaderMutationEntry): Step {
  if (m.remove !== undefined) {
    const name = m.remove.toLowerCase()
    return (h) => h.delete(name)
  }
  if (m.append) {
    const mutation: HeaderMutation = compileHeaderMutations({ request_headers_to_add: [m.append] }).request
    return (h, ctx) => applyHeaderMutation(h, mutation, ctx)
  }
  const match = compileStringMatcher(m.remove_on_match!.key_matcher)
  return (h) => {
    for (const name of [...h.keys()]) if (match(name)) h.delete(name)
  }
}

interface Compiled {
  readonly request: readonly Step[]
  readonly response: readonly Step[]
}
const compiled = new WeakMap<object, Compiled>()
function compile(config: HeaderMutationFilterConfig): Compiled {
  let c = compiled.get(config)
  if (!c) compiled.set(config, (c = { request: (config.mutations?.request_mutations ?? []).map(step), response: (config.mutations?.response_mutations ?? []).map(step) }))
  return c
}

export const headerMutationFilter: FilterFactory<HeaderMutationFilterConfig, HeaderMutationFilterConfig> = {
  name: 'envoy.filters.http.header_mutation',
  statName: 'header_mutation',
  create(config, { deps }) {
    const own = compile(config)
    return async (c, next, perRoute) => {
      const levels = perRoute ? [own, compile(perRoute)] : [own]
      const ctx: HeaderValueContext = { request: c.req.raw, clientIp: clientAddress(c.req.raw), startTime: deps.now() }
      if (levels.some((l) => l.request.length)) editRequestHeaders(c, (h) => levels.forEach((l) => l.request.forEach((s) => s(h, ctx))))
      await next()
      if (!levels.some((l) => l.response.length)) return
      const res = c.res
      const headers = new Headers(res.headers)
      levels.forEach((l) => l.response.forEach((s) => s(headers, ctx)))
      const edited = new Response(res.body, { status: res.status, statusText: res.statusText, headers })
      // Cleared first: Hono's c.res setter copies the old response's headers (a removed one would come back).
      c.res = undefined
      c.res = edited
    }
  },
}
