/**
 * Path rewrites for forwarding and redirects.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routeaction-prefix-rewrite
 */
import type { ForwardAction, PathRewrite, RedirectAction, Route } from '../compile/types.js'
import { stripQuery } from '../snapshot/matchers.js'

/** The request's path+query after the route's rewrite (the query is kept). */
export function rewritePath(route: Route, rewrite: PathRewrite | undefined, path: string): string {
  if (!rewrite) return path
  const pathname = stripQuery(path)
  const query = path.slice(pathname.length)
  if (rewrite.kind === 'regex') {
    return rewrite.pattern.replaceAll(pathname, rewrite.substitution) + query
  }
  // "the matched prefix (or path) should be swapped with this value"; for a
  // regex route the whole path matched.
  const p = route.match.path
  const matched = p.kind === 'safe_regex' ? pathname.length : p.value.length
  return rewrite.prefix + path.slice(matched)
}

/**
 * The authority a route's host rewrite gives, or undefined for none
 * (RouteEntryImplBase::finalizeHostHeader): `host_rewrite_literal`, else the
 * `host_rewrite_header`'s value, else `host_rewrite_path_regex` substituted
 * into the path without its query. An absent header or an empty result
 * rewrites nothing.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routeaction-host-rewrite-path-regex
 */
export function routeHostRewrite(action: ForwardAction, header: (name: string) => string | null, path: string): string | undefined {
  if (action.hostRewrite) return action.hostRewrite
  if (action.hostRewriteHeader !== undefined) return header(action.hostRewriteHeader) || undefined
  const r = action.hostRewritePathRegex
  return r ? r.pattern.replaceAll(stripQuery(path), r.substitution) || undefined : undefined
}

/**
 * The Location of a redirect. Scheme, host, port and path are replaced as
 * configured; a scheme change drops the old scheme's default port.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-redirectaction
 */
export function redirectLocation(route: Route, action: RedirectAction, url: { scheme: string; authority: string; path: string }): string {
  const scheme = action.scheme ?? url.scheme
  // host_redirect replaces the whole authority; otherwise the request's port is kept.
  let [host, port] = splitAuthority(action.host ?? url.authority)
  if (action.port !== undefined) port = String(action.port)
  else if (action.scheme !== undefined && ((scheme === 'https' && port === '80') || (scheme === 'http' && port === '443'))) port = undefined
  if ((scheme === 'https' && port === '443') || (scheme === 'http' && port === '80')) port = undefined
  // Http::Utility::newUri: a query written in path_redirect replaces the
  // request's and "will not be stripped regardless of strip_query"; a path
  // without a leading "/" gets one.
  const pathHasQuery = action.path?.includes('?') === true
  let path: string
  if (action.path) path = pathHasQuery ? action.path : action.path + queryOf(url.path)
  else path = rewritePath(route, action.pathRewrite, url.path)
  if (!path.startsWith('/')) path = `/${path}`
  if (action.stripQuery && !pathHasQuery) path = stripQuery(path)
  return `${scheme}://${host}${port ? `:${port}` : ''}${path}`
}

const queryOf = (path: string) => path.slice(stripQuery(path).length)

function splitAuthority(authority: string): [string, string | undefined] {
  const m = /^(.*?)(?::(\d+))?$/.exec(authority)!
  return [m[1]!, m[2]]
}
