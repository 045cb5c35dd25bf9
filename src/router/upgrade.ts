/**
 * Upgrades (WebSocket and others) as Envoy's connection manager allows them.
 * A request is an upgrade when it carries `Upgrade` (and, if it has a
 * `Connection` header, that header lists `upgrade`: Http::Utility::isUpgrade).
 * Its type is allowed when the route's `upgrade_configs` enables it, or —
 * unless the route disables it — the connection manager's does
 * (HttpConnectionManagerConfig::createUpgradeFilterChain); otherwise Envoy
 * answers 403 with details `upgrade_failed` and counts
 * `downstream_rq_ws_on_non_ws_route` (ConnectionManagerImpl::ActiveStream::decodeHeaders).
 * A direct response, a redirect or no route at all leaves the decision to
 * the connection manager (only a forwarding route has an upgrade map).
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/upgrades
 */
import type { Listener, Route } from '../compile/types.js'

/** The lower-cased upgrade type of a request, or undefined when it is not an upgrade. */
export function upgradeTypeOf(headers: Headers): string | undefined {
  const upgrade = headers.get('upgrade')?.trim()
  if (!upgrade) return undefined
  const connection = headers.get('connection')
  if (connection !== null && !connection.split(',').some((t) => t.trim().toLowerCase() === 'upgrade')) return undefined
  return upgrade.toLowerCase()
}

/** Whether Envoy would let an upgrade of `type` through on this route. */
export function upgradeAllowed(type: string, listener: Listener, route: Route | undefined): boolean {
  const own = route?.action.type === 'route' ? route.action.upgrades?.[type] : undefined
  if (own !== undefined) return own
  return listener.upgrades?.[type] === true
}

/** An upgrade request Envoy would answer 403. */
export function refusesUpgrade(type: string | undefined, listener: Listener, route: Route | undefined): boolean {
  return type !== undefined && !upgradeAllowed(type, listener, route)
}
