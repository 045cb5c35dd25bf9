/**
 * The one-screen summary `edgevoy validate` prints for a good config: what
 * each listener serves, where each route goes, and each cluster's endpoints —
 * read from the compiled snapshot, so it shows what edgevoy will actually do.
 */
import type { Cluster, Listener, Route, Snapshot } from '../compile/types.js'

/** Past this many routes in one virtual host, the summary says "… N more". */
const ROUTES_SHOWN = 8
const ENDPOINTS_SHOWN = 3

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

export function describeRoute(route: Route): string {
  const p = route.match.path
  const parts = [`${p.kind === 'safe_regex' ? 'regex' : p.kind} ${p.value}${p.caseSensitive ? '' : ' (case-insensitive)'}`]
  // Each matcher describes itself with its kind first ("header x-beta exact 1").
  for (const h of route.match.headers) parts.push(h.describe)
  for (const q of route.match.queryParameters) parts.push(q.describe)
  return `${parts.join(', ')} -> ${describeAction(route)}`
}

function describeAction(route: Route): string {
  const a = route.action
  if (a.type === 'direct_response') return `direct_response ${a.status}`
  if (a.type === 'redirect') {
    const to = [a.scheme && `${a.scheme}://`, a.host, a.port && `:${a.port}`, a.path].filter(Boolean).join('')
    return `redirect ${a.responseCode}${to ? ` ${to}` : ''}`
  }
  const t = a.target
  const target =
    t.kind === 'cluster' ? `cluster ${t.name}` :
    t.kind === 'cluster_header' ? `cluster from header ${t.header}` :
    `weighted ${t.clusters.map((c) => `${c.name}:${c.weight}`).join(' ')}`
  const rewrite = a.pathRewrite ? (a.pathRewrite.kind === 'prefix' ? ` (prefix_rewrite ${a.pathRewrite.prefix})` : ' (regex_rewrite)') : ''
  return target + rewrite
}

function describeListener(listener: Listener): string[] {
  const vhosts = listener.routeTable.virtualHosts
  const routes = vhosts.reduce((n, v) => n + v.routes.length, 0)
  const lines = [`  ${listener.name}  ${listener.address}:${listener.port}  (${plural(vhosts.length, 'virtual host')}, ${plural(routes, 'route')})`]
  for (const vhost of vhosts) {
    lines.push(`    virtual host ${vhost.name}  domains: ${vhost.domains.join(', ')}`)
    for (const route of vhost.routes.slice(0, ROUTES_SHOWN)) lines.push(`      ${describeRoute(route)}`)
    if (vhost.routes.length > ROUTES_SHOWN) lines.push(`      … ${vhost.routes.length - ROUTES_SHOWN} more`)
  }
  return lines
}

function describeCluster(cluster: Cluster): string {
  const shown = cluster.hosts.slice(0, ENDPOINTS_SHOWN).map((h) => h.binding ? `${h.address} (binding ${h.binding})` : h.address)
  const more = cluster.hosts.length > ENDPOINTS_SHOWN ? `, … ${cluster.hosts.length - ENDPOINTS_SHOWN} more` : ''
  const check = cluster.resilience.healthChecks[0]
  const checked = check ? `; health check ${check.method} ${check.path} every ${check.intervalMs / 1000}s (unhealthy after ${check.unhealthyThreshold})` : ''
  return `  ${cluster.name}  ${cluster.type} ${cluster.lbPolicy}  ${plural(cluster.hosts.length, 'endpoint')}${shown.length ? `: ${shown.join(', ')}${more}` : ''}${checked}`
}

/** The summary, without warnings (the caller prints those with file:line). */
export function summarize(snapshot: Snapshot): string[] {
  const lines = [`listeners (${snapshot.listeners.length}):`]
  for (const listener of snapshot.listeners) lines.push(...describeListener(listener))
  lines.push(`clusters (${snapshot.clusters.size}):`)
  for (const cluster of snapshot.clusters.values()) lines.push(describeCluster(cluster))
  if (snapshot.listeners.length > 1) {
    const first = snapshot.listeners[0]!.name
    lines.push(
      `note: ${snapshot.listeners.length} listeners. A Worker has one entry point: \`wrangler deploy\` serves the one`,
      `      named by EDGEVOY_LISTENER in wrangler.toml (default: the first, "${first}").`,
      `      Locally each listener gets its own port: \`edgevoy dev --listener NAME\`, or \`npm start\`.`,
    )
  }
  return lines
}
