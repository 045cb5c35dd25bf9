/**
 * Which virtual host and route a request takes — the whole of Envoy's routing
 * decision, with nothing sent anywhere. The admin API's `/route` explains the
 * same decision.
 */
import type { MatchRequest, Route, RouteTable, VirtualHost } from '../compile/types.js'
import type { RouteDecision } from '../context.js'
import type { RouteIndex } from './route-index.js'
import { withoutPathParameters } from '../snapshot/matchers.js'

export type { RouteDecision }

/**
 * What route matching sees of a request: Envoy's pseudo-headers. `url`: the
 * request's URL already parsed (the connection manager's), so it is parsed once per request.
 */
export function matchRequestOf(request: Request, random: () => number = Math.random, url: URL = new URL(request.url)): { match: MatchRequest; pathname: string } {
  const headers = request.headers
  const pathname = url.pathname
  return {
    match: {
      headers,
      method: request.method,
      // The Host header is the authority (workerd and Cloudflare set it from the URL).
      authority: headers.get('host') ?? url.host,
      path: pathname + url.search,
      scheme: (headers.get('x-forwarded-proto') ?? url.protocol.slice(0, -1)).toLowerCase(),
      random,
    },
    pathname,
  }
}

/**
 * `requestId`: the request's x-request-id when the caller already holds it
 * (the observability stage that just set or read it); otherwise read here.
 */
export function decideRoute(
  table: RouteTable,
  indexes: ReadonlyMap<string, RouteIndex>,
  request: Request,
  random: () => number = Math.random,
  url?: URL,
  requestId: string | undefined = request.headers.get('x-request-id') ?? undefined,
): RouteDecision {
  const { match, pathname } = matchRequestOf(request, random, url)
  const virtualHost = table.findVirtualHost(match.authority)
  const route = !virtualHost
    ? undefined
    : needsTlsRedirect(virtualHost, match)
      ? SSL_REDIRECT
      : indexes.get(virtualHost.name)?.select(match, table.ignorePathParameters ? withoutPathParameters(pathname) : pathname, undefined)
  return { match, pathname, virtualHost, route, requestId }
}

/**
 * `require_tls`, checked before the routes (Envoy: VirtualHostImpl::getRouteFromEntries).
 * The scheme is x-forwarded-proto as the connection manager left it: the real
 * one with use_remote_address, the client's otherwise. EXTERNAL_ONLY spares
 * internal requests (x-envoy-internal: true, which only edgevoy sets).
 */
function needsTlsRedirect(vh: VirtualHost, match: MatchRequest): boolean {
  if (vh.requireTls === 'NONE' || match.scheme === 'https') return false
  return vh.requireTls === 'ALL' || match.headers.get('x-envoy-internal') !== 'true'
}

const NO_HEADERS = Object.freeze({ add: Object.freeze([]), remove: Object.freeze([]) })

/** Envoy's SslRedirectRoute: 301 to the same authority and path over https. */
const SSL_REDIRECT: Route = Object.freeze({
  name: '',
  index: -1,
  match: Object.freeze({
    path: Object.freeze({ kind: 'prefix' as const, value: '/', caseSensitive: true, test: () => true, honoPattern: undefined }),
    headers: Object.freeze([]),
    queryParameters: Object.freeze([]),
  }),
  action: Object.freeze({ type: 'redirect' as const, scheme: 'https', host: undefined, port: undefined, path: undefined, pathRewrite: undefined, responseCode: 301 as const, stripQuery: false }),
  requestHeaders: NO_HEADERS,
  responseHeaders: NO_HEADERS,
  cors: undefined,
  filterOverrides: Object.freeze({}),
})
