/**
 * Cluster-wide numbers: each isolate's stats cover only its own requests, so
 * when the Worker has an Analytics Engine binding named `ANALYTICS`, every
 * request also becomes one data point, queried with the SQL API.
 * https://developers.cloudflare.com/analytics/analytics-engine/get-started/
 *
 * Columns (the README documents queries over them):
 *   index1  upstream cluster (or "-")
 *   blob1 listener  blob2 cluster  blob3 upstream host  blob4 response flags
 *   blob5 method    blob6 route    blob7 status class ("2xx")
 *   double1 1 (request)  double2 status  double3 duration ms  double4 bytes sent
 */
import type { LogRecord } from './access-log/record.js'

export interface AnalyticsBinding {
  writeDataPoint(point: { indexes?: string[]; blobs?: (string | null)[]; doubles?: number[] }): void
}

export function analyticsBinding(env: unknown): AnalyticsBinding | undefined {
  const b = (env as Record<string, unknown> | undefined)?.ANALYTICS as AnalyticsBinding | undefined
  return typeof b?.writeDataPoint === 'function' ? b : undefined
}

export function writeRequestPoint(binding: AnalyticsBinding, listener: string, r: LogRecord): void {
  binding.writeDataPoint({
    indexes: [r.upstreamCluster ?? '-'],
    blobs: [
      listener,
      r.upstreamCluster ?? '-',
      r.upstreamHost ?? '-',
      r.responseFlags.join(',') || '-',
      r.request.method,
      r.routeName ?? '-',
      `${Math.floor(r.responseCode / 100)}xx`,
    ],
    doubles: [1, r.responseCode, r.durationMs, r.bytesSent ?? 0],
  })
}
