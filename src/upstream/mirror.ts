/**
 * Request mirroring (Envoy: shadowing). Each `request_mirror_policies` entry
 * sends a copy of the request to its cluster, fire and forget: the client's
 * answer never waits for it or depends on it. Sampled by `runtime_fraction`
 * (default 100 %; only its default_value, as there is no Envoy runtime), and
 * the authority gets a `-shadow` suffix unless `disable_shadow_host_suffix_append`.
 * The shadow outlives the response through `waitUntil`.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction-requestmirrorpolicy
 * (router/config_impl.cc ShadowPolicyImpl; shadow_writer_impl.cc appends "-shadow")
 *
 * A body is teed to the shadow only when its Content-Length is within the
 * buffer limit (a slow shadow would otherwise hold an unbounded copy);
 * larger or unsized bodies are not mirrored.
 */
import type { Cluster, Host, MirrorPolicy } from '../compile/types.js'
import { sampled } from '../filters/percent.js'
import type { ClusterManager } from './cluster-manager.js'
import { forward, type ForwardDeps } from './forward.js'
import { declaredLength } from './upload.js'
import { requestHeaderValue } from './headers.js'

export interface MirrorInput {
  readonly request: Request
  readonly path: string
  /** Upstream headers for a try to `host` (the primary's, before the -shadow suffix). */
  readonly headersFor: (host: Host) => Headers
  readonly timeoutMs: number
  readonly bufferLimitBytes: number
}

export interface MirrorDeps extends ForwardDeps {
  readonly clusters: ClusterManager
  readonly clusterNamed: (name: string) => Cluster | undefined
  readonly random: () => number
  /** Keeps the Worker alive for the shadow after the response (ctx.waitUntil). */
  readonly waitUntil: (p: Promise<unknown>) => void
}

/** Starts the shadows; returns the request the primary should send (its body teed when a shadow takes a copy). */
export function startMirrors(policies: readonly MirrorPolicy[], input: MirrorInput, deps: MirrorDeps): Request {
  let request = input.request
  const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD'
  const length = declaredLength(request.headers)
  for (const policy of policies) {
    if (!sampled(policy.fraction, deps.random, true)) continue
    const name = policy.cluster ?? (policy.clusterHeader !== undefined ? requestHeaderValue(request, policy.clusterHeader) : null)
    const cluster = name ? deps.clusterNamed(name) : undefined
    if (!cluster) continue
    if (hasBody && (length === undefined || length > input.bufferLimitBytes)) continue
    const host = deps.clusters.chooseHost(cluster, { request })
    if (!host) continue
    let shadowBody: ReadableStream<Uint8Array> | null = null
    if (hasBody) {
      const [primary, copy] = request.body!.tee()
      request = new Request(request.url, { method: request.method, headers: request.headers, body: primary, signal: request.signal } as RequestInit)
      shadowBody = copy
    }
    const headers = input.headersFor(host)
    const authority = policy.hostRewrite ?? headers.get('x-forwarded-host') ?? ''
    headers.set('x-forwarded-host', policy.appendShadowSuffix ? `${authority}-shadow` : authority)
    const shadow = new Request(input.request.url, { method: input.request.method, headers: input.request.headers, body: shadowBody } as RequestInit)
    deps.waitUntil(
      forward({ request: shadow, host, cluster, path: input.path, headers, timeoutMs: input.timeoutMs }, deps).then(
        async (res) => {
          deps.clusters.reportAttempt(cluster, host, { kind: 'response', status: res.status })
          await res.body?.cancel()
        },
        () => undefined,
      ),
    )
  }
  return request
}
