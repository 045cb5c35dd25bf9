/**
 * Counters the filters keep, named as Envoy names them
 * (`http.<stat_prefix>.jwt_authn.denied`, `<stat_prefix>.http_local_rate_limit.rate_limited`, ...).
 * Per isolate; the admin/stats code reads them with `filterStats()`.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/rbac_filter#statistics
 */
const counters = new Map<string, number>()

export function incrementStat(name: string, by = 1): void {
  counters.set(name, (counters.get(name) ?? 0) + by)
}

/** A copy of every filter counter, sorted by name. */
export function filterStats(): Record<string, number> {
  return Object.fromEntries([...counters].sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** For tests: start counting from zero. */
export function resetFilterStats(): void {
  counters.clear()
}
