/**
 * Changing the request the router will forward. The request's headers are
 * already this Worker's copy (the connection manager stage made it, once:
 * context.ts withHeaders), so a filter changes them in place — no copy of the
 * Request or of its headers per filter.
 *
 * Envoy's filters share one header map: what a filter sets or removes is what
 * every later filter matches on (rbac, rate-limit descriptors, jwt_authn rules),
 * what the route decision's match view holds (the same Headers object; the
 * route itself stays: Envoy re-picks it only when a filter clears the route
 * cache), what the access log's %REQ()% reads and what the router sends upstream.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_filters
 */
import type { FilterContext } from './types.js'

export function editRequestHeaders(c: FilterContext, edit: (headers: Headers) => void): void {
  edit(c.req.raw.headers)
}
