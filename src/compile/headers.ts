/**
 * `*_headers_to_add` / `*_headers_to_remove` → a HeaderMutation.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#custom-request-response-headers
 */
import type { HeaderValueOptionConfig } from '../config/schema/matchers.js'
import type { HeaderMutation, HeaderToAdd } from './types.js'

interface MutationFields {
  readonly request_headers_to_add?: readonly HeaderValueOptionConfig[] | undefined
  readonly request_headers_to_remove?: readonly string[] | undefined
  readonly response_headers_to_add?: readonly HeaderValueOptionConfig[] | undefined
  readonly response_headers_to_remove?: readonly string[] | undefined
}

const toAdd = (o: HeaderValueOptionConfig): HeaderToAdd => {
  // `append` (deprecated) defaults to true = APPEND_IF_EXISTS_OR_ADD; false = OVERWRITE_IF_EXISTS_OR_ADD.
  const append = typeof o.append === 'object' ? o.append.value : o.append
  const action = o.append_action ?? (append === false ? 'OVERWRITE_IF_EXISTS_OR_ADD' : 'APPEND_IF_EXISTS_OR_ADD')
  return { key: o.header.key.toLowerCase(), value: o.header.value ?? o.header.raw_value ?? '', action, keepEmptyValue: o.keep_empty_value === true }
}

export const EMPTY_MUTATION: HeaderMutation = Object.freeze({ add: Object.freeze([]), remove: Object.freeze([]) })

export function compileHeaderMutations(fields: MutationFields): { request: HeaderMutation; response: HeaderMutation } {
  const make = (add?: readonly HeaderValueOptionConfig[], remove?: readonly string[]): HeaderMutation =>
    !add?.length && !remove?.length ? EMPTY_MUTATION : { add: (add ?? []).map(toAdd), remove: (remove ?? []).map((h) => h.toLowerCase()) }
  return {
    request: make(fields.request_headers_to_add, fields.request_headers_to_remove),
    response: make(fields.response_headers_to_add, fields.response_headers_to_remove),
  }
}
