/**
 * Changing the request the router will forward. Incoming request headers are
 * immutable in workerd, so the request is rebuilt with new headers (the body
 * stream moves across untouched).
 *
 * Envoy's filters share one header map: what a filter sets or removes is what
 * every later filter matches on (rbac, rate-limit descriptors, jwt_authn rules)
 * and what the router sends upstream. So the route decision's match view is
 * moved to the new headers too (the route itself stays: Envoy re-picks it only
 * when a filter clears the route cache).
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_filters
 */
import { requestKeepingCf } from '../context.js'
import type { FilterContext } from './types.js'

export function editRequestHeaders(c: FilterContext, edit: (headers: Headers) => void): void {
  const headers = new Headers(c.req.raw.headers)
  edit(headers)
  c.req.raw = requestKeepingCf(c.req.raw, { headers }, c.req.raw)
  const decision = c.get('decision')
  if (decision) c.set('decision', { ...decision, match: { ...decision.match, headers: c.req.raw.headers } })
}
