/**
 * Routes that can never match. Envoy picks the first route of a virtual host
 * whose match succeeds, so a route after one that matches everything it
 * would (a catch-all `prefix: /`, a shorter prefix with no header or query
 * matchers) is dead config. Envoy accepts it silently; edgevoy warns, in
 * `validate` and on admin writes (a route PUT after a catch-all is the usual
 * way to get here).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-virtualhost
 * ("the first route that matches will be used")
 */
import type { ConfigIssue } from '../config/issues.js'
import type { PathPredicate, Route, Snapshot } from './types.js'

/** Whether every request `later` matches is matched by `earlier` (conservatively: false when unsure). */
export function shadows(earlier: Route, later: Route): boolean {
  const a = earlier.match
  if (a.headers.length || a.queryParameters.length) return false
  return pathCovers(a.path, later.match.path)
}

function pathCovers(a: PathPredicate, b: PathPredicate): boolean {
  const everything = (a.kind === 'prefix' && (a.value === '' || a.value === '/')) || (a.kind === 'safe_regex' && /^\/?\.\*$/.test(a.value))
  if (everything) return true
  if (b.kind === 'safe_regex') return false
  // A case-sensitive `a` does not cover a case-insensitive `b` (b also matches other casings).
  if (a.caseSensitive && !b.caseSensitive) return false
  const fold = (s: string) => (a.caseSensitive ? s : s.toLowerCase())
  const av = fold(a.value)
  const bv = fold(b.value)
  switch (a.kind) {
    case 'prefix':
      return bv.startsWith(av)
    case 'path':
      return b.kind === 'path' && bv === av
    case 'path_separated_prefix':
      // Matches av exactly or av + "/…".
      return (b.kind !== 'prefix' && bv === av) || bv.startsWith(`${av}/`)
    default:
      return false
  }
}

const label = (r: Route) => (r.name.startsWith('#') ? `#${r.index}` : `"${r.name}"`)
const describe = (p: PathPredicate) => `${p.kind} "${p.value}"`

/** One warning per route that an earlier route of its virtual host always takes first. */
export function shadowedRoutes(snapshot: Snapshot): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  snapshot.listeners.forEach((listener, li) => {
    listener.routeTable.virtualHosts.forEach((vh, vi) => {
      vh.routes.forEach((route, i) => {
        const by = vh.routes.slice(0, i).find((earlier) => shadows(earlier, route))
        if (!by) return
        issues.push({
          severity: 'warning',
          code: 'shadowed_route',
          // The compiler lowers static listeners in order, each from its first filter chain's connection manager (index.ts).
          path: ['static_resources', 'listeners', li, 'filter_chains', 0, 'filters', 0, 'typed_config', 'route_config', 'virtual_hosts', vi, 'routes', i],
          message: `route ${label(route)} of virtual host "${vh.name}" can never match: route ${label(by)} before it (${describe(by.match.path)}) matches every request it would; move it before, or narrow the earlier one`,
        })
      })
    })
  })
  return issues
}
