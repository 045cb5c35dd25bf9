/**
 * Virtual-host lookup by `:authority`, as Envoy's RouteMatcher::findVirtualHost:
 * an exact map, then suffix wildcards (`*.example.com`) longest first, then
 * prefix wildcards (`example.*`) longest first, then the `*` default. The
 * wildcard must match at least one character. Case-insensitive. The port is
 * part of the authority unless the config strips it.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-virtualhost
 */
import type { VirtualHost } from '../compile/types.js'

export interface HostMatchOptions {
  /** RouteConfiguration.ignore_port_in_host_matching, HCM strip_any_host_port. */
  readonly stripAnyPort: boolean
  /** HCM strip_matching_host_port: strip the port when it is the listener's. */
  readonly stripPort: number | undefined
}

type WildcardTable = readonly (readonly [length: number, byKey: ReadonlyMap<string, VirtualHost>])[]

export function buildVirtualHostIndex(vhosts: readonly VirtualHost[], options: HostMatchOptions): (authority: string) => VirtualHost | undefined {
  const exact = new Map<string, VirtualHost>()
  const suffixes = new Map<number, Map<string, VirtualHost>>()
  const prefixes = new Map<number, Map<string, VirtualHost>>()
  let fallback: VirtualHost | undefined
  const put = (table: Map<number, Map<string, VirtualHost>>, key: string, vh: VirtualHost) => {
    let byKey = table.get(key.length)
    if (!byKey) table.set(key.length, (byKey = new Map()))
    if (!byKey.has(key)) byKey.set(key, vh)
  }
  for (const vh of vhosts)
    for (const raw of vh.domains) {
      const d = raw.toLowerCase()
      if (d === '*') fallback ??= vh
      else if (d.startsWith('*')) put(suffixes, d.slice(1), vh)
      else if (d.endsWith('*')) put(prefixes, d.slice(0, -1), vh)
      else if (!exact.has(d)) exact.set(d, vh)
    }
  const longestFirst = (t: Map<number, Map<string, VirtualHost>>): WildcardTable => [...t.entries()].sort((a, b) => b[0] - a[0])
  const suffixTable = longestFirst(suffixes)
  const prefixTable = longestFirst(prefixes)

  return (authority) => {
    let host = authority.toLowerCase()
    if (options.stripAnyPort || options.stripPort !== undefined) {
      const port = portStart(host)
      if (port >= 0 && (options.stripAnyPort || host.slice(port + 1) === String(options.stripPort))) host = host.slice(0, port)
    }
    const hit = exact.get(host)
    if (hit) return hit
    for (const [len, byKey] of suffixTable) {
      if (len >= host.length) continue
      const vh = byKey.get(host.slice(host.length - len))
      if (vh) return vh
    }
    for (const [len, byKey] of prefixTable) {
      if (len >= host.length) continue
      const vh = byKey.get(host.slice(0, len))
      if (vh) return vh
    }
    return fallback
  }
}

/** Index of the ":" before a port, or -1; IPv6 literals are bracketed. */
function portStart(host: string): number {
  const colon = host.lastIndexOf(':')
  if (colon < 0 || host.indexOf(']', colon) >= 0) return -1
  return /^\d+$/.test(host.slice(colon + 1)) ? colon : -1
}
