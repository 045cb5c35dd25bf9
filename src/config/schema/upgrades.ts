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
  const own = route?.find((u) => u.upgrade_type.toLowerCase() === 'websocket')
  if (own) return enabledOf(own)
  const listener = hcm?.find((u) => u.upgrade_type.toLowerCase() === 'websocket')
  return listener !== undefined && enabledOf(listener)
}

/** A path segment that names a WebSocket endpoint (a regex's `socket\.io` counts too). */
const WS_PATH = /(^|\/)(ws|wss|websockets?|socket\\?\.io|sockjs)(\/|$|\?|;|\$|\\|\(|\.\*)/i

/** Why a route looks like a WebSocket endpoint, or undefined. */
function websocketHint(m: RouteLike['match']): string | undefined {
  if (m.headers?.some((h) => h.name.toLowerCase() === 'upgrade')) return 'it matches on the upgrade header'
  for (const [kind, value] of [['prefix', m.prefix], ['path', m.path], ['path_separated_prefix', m.path_separated_prefix], ['safe_regex', m.safe_regex?.regex]] as const)
    if (value !== undefined && WS_PATH.test(value)) return `its ${kind} ${JSON.stringify(value)} names a WebSocket endpoint`
  return undefined
}

export function websocketRouteWarnings(hcm: HcmLike): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = []
  hcm.route_config?.virtual_hosts?.forEach((vh, v) =>
    vh.routes?.forEach((r, i) => {
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
