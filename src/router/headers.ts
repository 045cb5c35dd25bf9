/**
 * Applying header mutations with Envoy's semantics: removals first, then
 * additions by `append_action`; empty values skipped unless `keep_empty_value`.
 * Values may use a few command operators (`%DOWNSTREAM_REMOTE_ADDRESS%`,
 * `%REQ(name)%`, …); `%%` is a literal `%`.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#custom-request-response-headers
 */
import type { HeaderMutation } from '../compile/types.js'

export interface HeaderValueContext {
  readonly request: Request
  readonly clientIp: string | undefined
  readonly upstreamHost?: string | undefined
  readonly protocol?: string
  readonly startTime: number
}

const OPERATOR = /%([A-Z_]+)(?:\(([^)]*)\))?%|%%/g

export function formatHeaderValue(value: string, ctx: HeaderValueContext): string {
  if (!value.includes('%')) return value
  return value.replace(OPERATOR, (whole, op: string | undefined, arg: string | undefined) => {
    if (whole === '%%') return '%'
    switch (op) {
      case 'DOWNSTREAM_REMOTE_ADDRESS':
      case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
        return ctx.clientIp ?? ''
      case 'REQ':
        return (arg && ctx.request.headers.get(arg.split(':')[0]!.trim())) ?? ''
      case 'PROTOCOL':
        return ctx.protocol ?? 'HTTP/1.1'
      case 'UPSTREAM_REMOTE_ADDRESS':
        return ctx.upstreamHost ?? ''
      case 'START_TIME':
        return new Date(ctx.startTime).toISOString()
      case 'HOSTNAME':
        return 'edgevoy'
      default:
        // An Envoy operator edgevoy does not fill in (validate warned): empty, never the literal text.
        return ''
    }
  })
}

export function applyHeaderMutation(headers: Headers, mutation: HeaderMutation, ctx: HeaderValueContext): void {
  for (const name of mutation.remove) headers.delete(name)
  for (const h of mutation.add) {
    const value = formatHeaderValue(h.value, ctx)
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
