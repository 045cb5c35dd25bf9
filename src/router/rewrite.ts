/**
 * Path rewrites for forwarding and redirects.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#envoy-v3-api-field-config-route-v3-routeaction-prefix-rewrite
 */
import type { PathRewrite, RedirectAction, Route } from '../compile/types.js'
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
  let path: string
  if (action.path !== undefined) {
    // "query string in path_redirect will override the request's query string"
    path = action.path.includes('?') ? action.path : action.path + queryOf(url.path)
  } else path = rewritePath(route, action.pathRewrite, url.path)
  if (action.stripQuery) path = stripQuery(path)
  return `${scheme}://${host}${port ? `:${port}` : ''}${path}`
}

const queryOf = (path: string) => path.slice(stripQuery(path).length)

function splitAuthority(authority: string): [string, string | undefined] {
  const m = /^(.*?)(?::(\d+))?$/.exec(authority)!
  return [m[1]!, m[2]]
}
