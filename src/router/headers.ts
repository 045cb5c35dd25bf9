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
 * The order Envoy evaluates a route's header mutations in; a later level
 * wins an overwrite and a later removal takes out what an earlier level
 * added. By default the most specific level goes first and the route
 * configuration's last (route → virtual host → route configuration), so the
 * outer level wins; `most_specific_header_mutations_wins` reverses the three
 * (route configuration → virtual host → route). A weighted cluster's own
 * mutations always come first (WeightedClusterEntry::finalizeRequestHeaders
 * runs them before the route's).
 * source/common/router/config_impl.cc getHeaderParsers(specificity_ascend);
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route.proto#envoy-v3-api-field-config-route-v3-routeconfiguration-most-specific-header-mutations-wins
 */
export function headerLevels(
  weighted: HeaderMutation | undefined,
  route: HeaderMutation,
  vhost: HeaderMutation,
  table: HeaderMutation,
  mostSpecificWins: boolean,
): HeaderMutation[] {
  const levels = mostSpecificWins ? [table, vhost, route] : [route, vhost, table]
  return weighted ? [weighted, ...levels] : levels
}

/** Each level in turn: its removals, then its additions (HeaderParser::evaluateHeaders). */
export function applyHeaderLevels(headers: Headers, levels: readonly HeaderMutation[], ctx: HeaderValueContext): void {
  for (const m of levels) if (m.add.length || m.remove.length) applyHeaderMutation(headers, m, ctx)
}
