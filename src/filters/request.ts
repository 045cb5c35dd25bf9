/**
 * Changing the request the router will forward. Incoming request headers are
 * immutable in workerd, so the request is rebuilt with new headers (the body
 * stream moves across untouched).
 */
import type { FilterContext } from './types.js'

export function editRequestHeaders(c: FilterContext, edit: (headers: Headers) => void): void {
  const headers = new Headers(c.req.raw.headers)
  edit(headers)
  c.req.raw = new Request(c.req.raw, { headers })
}
