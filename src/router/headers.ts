/**
 * Applying header mutations with Envoy's semantics: removals first, then
 * additions by `append_action`; empty values skipped unless `keep_empty_value`.
 * Values may use a few command operators (`%DOWNSTREAM_REMOTE_ADDRESS%`,
 * `%REQ(name)%`, …), parsed by the compiler into `HeaderToAdd.format`.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#custom-request-response-headers
 */
import type { HeaderMutation, HeaderValueContext } from '../compile/types.js'

export type { HeaderValueContext }

export function applyHeaderMutation(headers: Headers, mutation: HeaderMutation, ctx: HeaderValueContext): void {
  for (const name of mutation.remove) headers.delete(name)
  for (const h of mutation.add) {
    const value = h.format ? h.format(ctx) : h.value
    if (value === '' && !h.keepEmptyValue) continue
    switch (h.action) {
      case 'APPEND_IF_EXISTS_OR_ADD':
        headers.append(h.key, value)
        break
      case 'ADD_IF_ABSENT':
        if (!headers.has(h.key)) headers.set(h.key, value)
        break
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        headers.set(h.key, value)
        break
      case 'OVERWRITE_IF_EXISTS':
        if (headers.has(h.key)) headers.set(h.key, value)
        break
    }
  }
}

/**
 * Envoy applies the most specific level first and the route configuration's
 * last, so by default the outer level wins an overwrite: weighted cluster →
 * route → virtual host → route configuration.
 */
export function applyHeaderLevels(headers: Headers, levels: readonly HeaderMutation[], ctx: HeaderValueContext): void {
  for (const m of levels) if (m.add.length || m.remove.length) applyHeaderMutation(headers, m, ctx)
}
