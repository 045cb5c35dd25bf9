/**
 * `*_headers_to_add` / `*_headers_to_remove` → HeaderMutationIR, with each
 * value's command operators parsed here rather than per request. `%%` is a
 * literal `%`; an operator edgevoy does not fill in (validate warned) is empty,
 * never the literal text.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#custom-request-response-headers
 */
import type { HeaderValueOptionConfig } from '../config/schema/matchers.js'
import type { HeaderFormatPartIR, HeaderMutationIR, HeaderToAddIR } from './ir.js'

interface MutationFields {
  readonly request_headers_to_add?: readonly HeaderValueOptionConfig[] | undefined
  readonly request_headers_to_remove?: readonly string[] | undefined
  readonly response_headers_to_add?: readonly HeaderValueOptionConfig[] | undefined
  readonly response_headers_to_remove?: readonly string[] | undefined
}

const OPERATOR = /%([A-Z_]+)(?:\(([^)]*)\))?%|%%/g
/** Operators a header value may use (router/headers.ts fills them in). */
const HEADER_OPERATORS = new Set(['DOWNSTREAM_REMOTE_ADDRESS', 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'REQ', 'PROTOCOL', 'UPSTREAM_REMOTE_ADDRESS', 'START_TIME'])

/** The value's parts, or undefined when it is literal text (no operator, no `%%`). */
export function parseHeaderFormat(value: string): HeaderFormatPartIR[] | undefined {
  if (!value.includes('%')) return undefined
  const parts: HeaderFormatPartIR[] = []
  let text = ''
  let last = 0
  let dynamic = false
  for (const m of value.matchAll(OPERATOR)) {
    text += value.slice(last, m.index)
    last = m.index + m[0].length
    const op = m[1]
    if (m[0] === '%%') text += '%'
    else if (op === 'HOSTNAME') text += 'edgevoy'
    else if (op !== undefined && HEADER_OPERATORS.has(op)) {
      if (text) parts.push(text)
      text = ''
      // %REQ(name:max)% reads header `name`; a pseudo-header keeps its leading colon (%REQ(:authority)%).
      const raw = (m[2] ?? '').trim()
      const arg = op === 'REQ' ? (raw.startsWith(':') ? `:${raw.slice(1).split(':')[0]!}` : raw.split(':')[0]!).trim() : undefined
      parts.push(arg !== undefined ? { op, arg } : { op })
      dynamic = true
    } else if (op === undefined) text += m[0]
    // else: an Envoy operator edgevoy does not fill in: empty.
  }
  text += value.slice(last)
  if (text) parts.push(text)
  if (dynamic) return parts
  // Only `%%` or constants: one literal, unless that is the value as written.
  return text === value ? undefined : [text]
}

const toAdd = (o: HeaderValueOptionConfig): HeaderToAddIR => {
  // `append` (deprecated) defaults to true = APPEND_IF_EXISTS_OR_ADD; false = OVERWRITE_IF_EXISTS_OR_ADD.
  const append = typeof o.append === 'object' ? o.append.value : o.append
  const action = o.append_action ?? (append === false ? 'OVERWRITE_IF_EXISTS_OR_ADD' : 'APPEND_IF_EXISTS_OR_ADD')
  const value = o.header.value ?? o.header.raw_value ?? ''
  const parts = parseHeaderFormat(value)
  return { key: o.header.key.toLowerCase(), value, action, ...(o.keep_empty_value === true ? { keepEmptyValue: true as const } : {}), ...(parts ? { parts } : {}) }
}

function mutation(add: readonly HeaderValueOptionConfig[] | undefined, remove: readonly string[] | undefined): HeaderMutationIR | undefined {
  if (!add?.length && !remove?.length) return undefined
  return { ...(add?.length ? { add: add.map(toAdd) } : {}), ...(remove?.length ? { remove: remove.map((h) => h.toLowerCase()) } : {}) }
}

/** The request and response mutations of one level; absent when empty. */
export function lowerHeaderMutations(fields: MutationFields): { requestHeaders?: HeaderMutationIR; responseHeaders?: HeaderMutationIR } {
  const request = mutation(fields.request_headers_to_add, fields.request_headers_to_remove)
  const response = mutation(fields.response_headers_to_add, fields.response_headers_to_remove)
  return { ...(request ? { requestHeaders: request } : {}), ...(response ? { responseHeaders: response } : {}) }
}
