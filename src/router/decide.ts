/**
 * Which virtual host and route a request takes — the whole of Envoy's routing
 * decision, with nothing sent anywhere. The admin API's `/route` explains the
 * same decision.
 */
import type { MatchRequest, RouteTable } from '../compile/types.js'
import type { RouteDecision } from '../context.js'
import type { RouteIndex } from './route-index.js'

export type { RouteDecision }

/** What route matching sees of a request: Envoy's pseudo-headers. */
export function matchRequestOf(request: Request): { match: MatchRequest; pathname: string } {
  const url = new URL(request.url)
  return {
    match: {
      headers: request.headers,
      method: request.method,
      // The Host header is the authority (workerd and Cloudflare set it from the URL).
      authority: request.headers.get('host') ?? url.host,
      path: url.pathname + url.search,
      scheme: (request.headers.get('x-forwarded-proto') ?? url.protocol.slice(0, -1)).toLowerCase(),
    },
    pathname: url.pathname,
  }
}

export function decideRoute(table: RouteTable, indexes: ReadonlyMap<string, RouteIndex>, request: Request): RouteDecision {
  const { match, pathname } = matchRequestOf(request)
  const virtualHost = table.findVirtualHost(match.authority)
  const route = virtualHost ? indexes.get(virtualHost.name)?.select(match, pathname, undefined) : undefined
  return { match, pathname, virtualHost, route, requestId: request.headers.get('x-request-id') ?? undefined }
}
