/**
 * The connection manager's per-stream timers for one request, from the
 * compiled listener and route: stream idle timeout (route `idle_timeout`
 * overrides the HCM's), request timeout, and max stream duration (route
 * `max_stream_duration` overrides the HCM's, and may take its value from the
 * request's `grpc-timeout`).
 * https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction-maxstreamduration
 */
import type { ForwardAction, Listener } from '../compile/types.js'

export interface StreamLimits {
  /** Longest stall while waiting for headers or between body chunks; 0: none. */
  readonly idleMs: number
  /** Epoch ms when request_timeout fires unless response headers came first. */
  readonly requestDeadline: number | undefined
  /** Epoch ms by which the stream must be over. */
  readonly streamDeadline: number | undefined
}

/** `startedAt`: when the stream began (epoch ms). */
export function streamLimits(listener: Listener, action: ForwardAction, headers: Headers, startedAt: number): StreamLimits {
  const duration = maxStreamDurationMs(listener, action, headers)
  return {
    idleMs: action.idleTimeoutMs ?? listener.streamIdleTimeoutMs,
    requestDeadline: listener.requestTimeoutMs > 0 ? startedAt + listener.requestTimeoutMs : undefined,
    streamDeadline: duration > 0 ? startedAt + duration : undefined,
  }
}

/**
 * Envoy's ActiveStream::refreshDurationTimeout (conn_manager_impl.cc): with a
 * grpc-timeout header and the route's grpc_timeout_header_max set, the header
 * wins (capped by the max unless that is 0, less the offset); otherwise the
 * route's max_stream_duration (0: none), else the HCM's.
 */
export function maxStreamDurationMs(listener: Listener, action: ForwardAction, headers: Headers): number {
  const route = action.maxStreamDuration
  const grpc = parseGrpcTimeout(headers.get('grpc-timeout'))
  if (route?.grpcHeaderMaxMs === undefined || grpc === undefined) return route?.maxMs ?? listener.maxStreamDurationMs
  let timeout = grpc
  if (route.grpcHeaderMaxMs !== 0 && timeout > route.grpcHeaderMaxMs) timeout = route.grpcHeaderMaxMs
  if (timeout !== 0 && route.grpcHeaderOffsetMs) timeout = route.grpcHeaderOffsetMs < timeout ? timeout - route.grpcHeaderOffsetMs : 0
  return timeout
}

const GRPC_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 }

/** gRPC's `grpc-timeout`: up to 8 digits and a unit (H M S m u n). https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md */
export function parseGrpcTimeout(value: string | null): number | undefined {
  const m = value === null ? null : /^(\d{1,8})([HMSmun])$/.exec(value.trim())
  return m ? Math.ceil(Number(m[1]) * GRPC_UNIT_MS[m[2]!]!) : undefined
}
