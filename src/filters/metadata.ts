/**
 * Envoy's per-request dynamic metadata, by filter name: jwt_authn writes the
 * verified payload under `envoy.filters.http.jwt_authn`, rbac reads it.
 */
import type { FilterContext } from './types.js'

const byRequest = new WeakMap<FilterContext, Record<string, Record<string, unknown>>>()

export function setDynamicMetadata(c: FilterContext, filter: string, key: string, value: unknown): void {
  let all = byRequest.get(c)
  if (!all) byRequest.set(c, (all = {}))
  ;(all[filter] ??= {})[key] = value
}

export function dynamicMetadata(c: FilterContext, filter: string): Readonly<Record<string, unknown>> | undefined {
  return byRequest.get(c)?.[filter]
}
