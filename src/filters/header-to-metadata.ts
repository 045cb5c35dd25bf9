/**
 * `envoy.filters.http.header_to_metadata`: request headers (or cookies)
 * become dynamic metadata — under `metadata_namespace`, default
 * `envoy.filters.http.header_to_metadata` — which rbac's `metadata`
 * principals and permissions read. `remove` drops the header before the
 * upstream. A route's config replaces the listener's.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/header_to_metadata_filter
 */
import type { MetadataKeyValueIR } from '../compile/ir.js'
import { setDynamicMetadata } from './metadata.js'
import { editRequestHeaders } from './request.js'
import type { FilterContext, FilterFactory } from './types.js'

const NAME = 'envoy.filters.http.header_to_metadata'
/** Envoy's limit on a value it stores (header_to_metadata_filter.cc MAX_HEADER_VALUE_LEN). */
const MAX_VALUE_LENGTH = 8 * 1024

function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function store(c: FilterContext, kv: MetadataKeyValueIR, raw: string): void {
  let value = kv.value ?? raw
  if (value === '' || value.length > MAX_VALUE_LENGTH) return
  if (kv.base64) {
    try {
      value = atob(value)
    } catch {
      return
    }
  }
  if (kv.type === 'NUMBER') {
    const n = Number(value)
    if (Number.isFinite(n)) setDynamicMetadata(c, kv.namespace, kv.key, n)
    return
  }
  setDynamicMetadata(c, kv.namespace, kv.key, value)
}

export const headerToMetadataFilter: FilterFactory<'header_to_metadata'> = {
  kind: 'header_to_metadata',
  name: NAME,
  statName: 'header_to_metadata',
  create(config) {
    return async (c, next, perRoute) => {
      const cfg = perRoute ?? config
      const remove: string[] = []
      for (const rule of cfg.requestRules) {
        const found = rule.header !== undefined ? c.req.header(rule.header) : cookieValue(c.req.header('cookie'), rule.cookie ?? '')
        if (found !== undefined && rule.onPresent) store(c, rule.onPresent, found)
        if (found === undefined && rule.onMissing?.value !== undefined) store(c, rule.onMissing, rule.onMissing.value)
        if (found !== undefined && rule.remove && rule.header) remove.push(rule.header)
      }
      if (remove.length) editRequestHeaders(c, (h) => remove.forEach((n) => h.delete(n)))
      await next()
      const removeResponse = cfg.responseRemove
      if (removeResponse.length) {
        const headers = new Headers(c.res.headers)
        removeResponse.forEach((n) => headers.delete(n))
        const edited = new Response(c.res.body, { status: c.res.status, statusText: c.res.statusText, headers })
        c.res = undefined
        c.res = edited
      }
    }
  },
}
