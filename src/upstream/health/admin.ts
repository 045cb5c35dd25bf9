/**
 * `POST /__admin/clusters/:name/endpoints/:addr/health` — drain (or fail, or
 * restore) one endpoint for every isolate, by overriding its `health_status`
 * at the cluster's health authority. Body: `{"health_status": "DRAINING"}`
 * (also UNHEALTHY, DEGRADED, TIMEOUT; HEALTHY or null clears the override).
 * Isolates see it with their next look at the hub (health/cached.ts: within
 * 2.1 check intervals; 21 s for clusters without active checks).
 */
import type { Cluster, HostHealthStatus } from '../../compile/types.js'
import { healthTarget, type HealthAuthorityResolver } from './authority.js'

const STATUSES: readonly HostHealthStatus[] = ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED']

export interface EndpointHealthResult {
  readonly status: 200 | 400 | 404
  readonly body: Readonly<Record<string, unknown>>
}

/**
 * The handler, framework-free so the admin app can mount it. `cluster` is the
 * cluster of the current snapshot with that name (undefined: 404).
 */
export async function setEndpointHealth(cluster: Cluster | undefined, address: string, body: unknown, resolve: HealthAuthorityResolver): Promise<EndpointHealthResult> {
  if (!cluster) return { status: 404, body: { error: 'unknown_cluster', message: 'no cluster with that name' } }
  if (!cluster.hosts.some((h) => h.address === address))
    return { status: 404, body: { error: 'unknown_endpoint', message: `cluster ${cluster.name} has no endpoint ${address}`, endpoints: cluster.hosts.map((h) => h.address) } }
  const raw = (body as { health_status?: unknown } | null)?.health_status
  const status = raw === null ? null : typeof raw === 'string' ? (raw.toUpperCase() as HostHealthStatus) : undefined
  if (status === undefined || (status !== null && !STATUSES.includes(status)))
    return { status: 400, body: { error: 'invalid_health_status', message: `health_status must be one of ${STATUSES.join(', ')} or null` } }
  const authority = resolve(cluster.name)
  let result = await authority.setOverride(address, status)
  if (result === 'unknown_host') {
    // The authority has not seen this cluster yet (no isolate used it): register, then set.
    await authority.register(healthTarget(cluster, cluster.resilience.healthChecks[0]))
    result = await authority.setOverride(address, status)
  }
  if (result === 'unknown_host') return { status: 404, body: { error: 'unknown_endpoint', message: address } }
  return { status: 200, body: { cluster: cluster.name, endpoint: address, health_status: status ?? 'HEALTHY', hosts: result.hosts } }
}
