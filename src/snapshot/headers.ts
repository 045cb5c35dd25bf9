/**
 * Header mutations as data → HeaderMutations whose values with command
 * operators (`%DOWNSTREAM_REMOTE_ADDRESS%`, `%REQ(name)%`, …) are formatters
 * built once, here, instead of being parsed per request.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#custom-request-response-headers
 */
import type { HeaderFormatPartIR, HeaderMutationIR, HeaderToAddIR } from '../compile/ir.js'
import type { HeaderMutation, HeaderToAdd, HeaderValueContext } from '../compile/types.js'

type Part = (ctx: HeaderValueContext) => string

function operator(p: Exclude<HeaderFormatPartIR, string>): Part {
  switch (p.op) {
    case 'DOWNSTREAM_REMOTE_ADDRESS':
    case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
      return (ctx) => ctx.clientIp ?? ''
    case 'REQ': {
      const name = p.arg ?? ''
      if (name.startsWith(':')) return (ctx) => pseudoHeader(ctx.request, name)
      return name ? (ctx) => ctx.request.headers.get(name) ?? '' : () => ''
    }
    case 'PROTOCOL':
      return (ctx) => ctx.protocol ?? 'HTTP/1.1'
    case 'UPSTREAM_REMOTE_ADDRESS':
      return (ctx) => ctx.upstreamHost ?? ''
    case 'START_TIME':
      return (ctx) => new Date(ctx.startTime).toISOString()
    default:
      // The compiler keeps only operators it knows; anything else is empty.
      return () => ''
  }
}

/** `:authority`, `:path`, `:scheme`, `:method` as Envoy's header map holds them; Headers cannot hold a pseudo-header. */
function pseudoHeader(request: Request, name: string): string {
  if (name === ':method') return request.method
  const url = new URL(request.url)
  if (name === ':authority') return url.host
  if (name === ':path') return url.pathname + url.search
  if (name === ':scheme') return url.protocol.slice(0, -1)
  return ''
}

/** A formatter for the parsed value, or undefined when it is literal text. */
export function linkHeaderFormat(parts: readonly HeaderFormatPartIR[] | undefined): ((ctx: HeaderValueContext) => string) | undefined {
  if (!parts) return undefined
  const fns = parts.map((p): Part => (typeof p === 'string' ? () => p : operator(p)))
  if (fns.length === 1) return fns[0]
  return (ctx) => {
    let out = ''
    for (const f of fns) out += f(ctx)
    return out
  }
}

export const EMPTY_MUTATION: HeaderMutation = Object.freeze({ add: Object.freeze([]), remove: Object.freeze([]) })

const linkAdd = (h: HeaderToAddIR): HeaderToAdd => ({
  key: h.key,
  value: h.value,
  action: h.action,
  keepEmptyValue: h.keepEmptyValue === true,
  format: linkHeaderFormat(h.parts),
})

export function linkHeaderMutation(m: HeaderMutationIR | undefined): HeaderMutation {
  if (!m || (!m.add?.length && !m.remove?.length)) return EMPTY_MUTATION
  return { add: (m.add ?? []).map(linkAdd), remove: m.remove ?? [] }
}
