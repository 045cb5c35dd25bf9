/**
 * `validate`'s word on WebSocket routes. Envoy forwards an upgrade only where
 * `upgrade_configs` (the connection manager's, or the route's) enables its
 * type, and answers every other upgrade request 403
 * (`downstream_rq_ws_on_non_ws_route`). edgevoy does the same, so a config
 * whose route is plainly a WebSocket endpoint (a `/ws`, `/websocket`,
 * `/socket.io` or `/sockjs` path, or a match on the `upgrade` header) but
 * enables no `websocket` upgrade for it is told so.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/upgrades
 */

interface UpgradeEntry {
  readonly upgrade_type: string
  readonly enabled?: boolean | { value: boolean } | undefined
}

interface RouteLike {
  readonly name?: string | undefined
  readonly match: {
    readonly prefix?: string | undefined
    readonly path?: string | undefined
    readonly path_separated_prefix?: string | undefined
    readonly safe_regex?: { readonly regex: string } | undefined
    readonly headers?: readonly { readonly name: string }[] | undefined
  }
  readonly route?: { readonly upgrade_configs?: readonly UpgradeEntry[] | undefined } | undefined
}

interface HcmLike {
  readonly upgrade_configs?: readonly UpgradeEntry[] | undefined
  readonly route_config?: { readonly virtual_hosts?: readonly { readonly routes?: readonly RouteLike[] | undefined }[] | undefined } | undefined
}

const enabledOf = (u: UpgradeEntry) => (typeof u.enabled === 'object' ? u.enabled.value : u.enabled) !== false

/** Envoy's createUpgradeFilterChain for `websocket`: the route's entry decides, else the connection manager's. */
function websocketAllowed(hcm: readonly UpgradeEntry[] | undefined, route: readonly UpgradeEntry[] | undefined): boolean {
  const isWs = (u: UpgradeEntry) => typeof u?.upgrade_type === 'string' && u.upgrade_type.toLowerCase() === 'websocket'
  const own = Array.isArray(route) ? route.find(isWs) : undefined
  if (own) return enabledOf(own)
  const listener = Array.isArray(hcm) ? hcm.find(isWs) : undefined
  return listener !== undefined && enabledOf(listener)
}

/** A path segment that names a WebSocket endpoint (a regex's `socket\.io` counts too). */
const WS_PATH = /(^|\/)(ws|wss|websockets?|socket\\?\.io|sockjs)(\/|$|\?|;|\$|\\|\(|\.\*)/i

/** Why a route looks like a WebSocket endpoint, or undefined. */
function websocketHint(m: RouteLike['match']): string | undefined {
  if (Array.isArray(m.headers) && m.headers.some((h) => typeof h?.name === 'string' && h.name.toLowerCase() === 'upgrade')) return 'it matches on the upgrade header'
  for (const [kind, value] of [['prefix', m.prefix], ['path', m.path], ['path_separated_prefix', m.path_separated_prefix], ['safe_regex', m.safe_regex?.regex]] as const)
    if (typeof value === 'string' && WS_PATH.test(value)) return `its ${kind} ${JSON.stringify(value)} names a WebSocket endpoint`
  return undefined
}

export function websocketRouteWarnings(hcm: HcmLike): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = []
  const vhosts = hcm.route_config?.virtual_hosts
  if (!Array.isArray(vhosts)) return out
  vhosts.forEach((vh, v) =>
    (Array.isArray(vh?.routes) ? vh.routes : ([] as readonly RouteLike[])).forEach((r: RouteLike | undefined, i: number) => {
      // Also runs on a connection manager with errors elsewhere: skip what did not parse.
      if (typeof r?.match !== 'object' || r.match === null) return
      const hint = websocketHint(r.match)
      if (!hint || websocketAllowed(hcm.upgrade_configs, r.route?.upgrade_configs)) return
      out.push({
        path: ['route_config', 'virtual_hosts', v, 'routes', i, 'match'],
        message:
          `route ${r.name ?? `#${i}`} looks like a WebSocket endpoint (${hint}) but no upgrade_configs enables the websocket upgrade for it: ` +
          'Envoy and edgevoy answer its upgrade requests 403 (add upgrade_configs: [{ upgrade_type: websocket }] to the connection manager or the route)',
      })
    }),
  )
  return out
}
