/**
 * `extensions.filters.http.fault.v3.HTTPFault` (also its per-route form).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/fault/v3/fault.proto
 */
import { z } from 'zod'
import { duration, envoyObject, uint32, wrapped } from '../envoy-object.js'
import { fractionalPercent, headerMatcher } from '../matchers.js'

const faultAbort = envoyObject({
  http_status: uint32.pipe(z.number().min(200).max(599)).optional(),
  header_abort: z.object({}).optional(),
  percentage: fractionalPercent.optional(),
}, { unsupported: { grpc_status: 'gRPC status aborts are not implemented' } }).superRefine((a, ctx) => {
  if (a.http_status === undefined && a.header_abort === undefined)
    ctx.addIssue({ code: 'custom', message: 'abort needs http_status or header_abort' })
})

const faultDelay = envoyObject({
  fixed_delay: duration.optional(),
  header_delay: z.object({}).optional(),
  percentage: fractionalPercent.optional(),
}).superRefine((d, ctx) => {
  if (d.fixed_delay === undefined && d.header_delay === undefined)
    ctx.addIssue({ code: 'custom', message: 'delay needs fixed_delay or header_delay' })
})

export const httpFault = envoyObject(
  {
    '@type': z.string().optional(),
    abort: faultAbort.optional(),
    delay: faultDelay.optional(),
    headers: z.array(headerMatcher).optional(),
    upstream_cluster: z.string().optional(),
    max_active_faults: wrapped(uint32).optional(),
  },
  {
    ignored: ['downstream_nodes', 'delay_percent_runtime', 'abort_percent_runtime', 'delay_duration_runtime', 'abort_http_status_runtime', 'max_active_faults_runtime', 'response_rate_limit_percent_runtime', 'abort_grpc_status_runtime', 'disable_downstream_cluster_stats', 'filter_metadata'],
    unsupported: { response_rate_limit: 'response bandwidth limiting is not implemented' },
  },
)
export type HttpFaultConfig = z.output<typeof httpFault>
