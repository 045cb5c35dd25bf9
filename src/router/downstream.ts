/**
 * What Envoy's HTTP connection manager does to a downstream request before
 * any filter or route sees it (ConnectionManagerImpl::ActiveStream::decodeHeaders):
 * path normalization (ConnectionManagerUtility::maybeNormalizePath), then
 * hop-by-hop removal, x-forwarded-for / x-forwarded-proto, internal or
 * external, sanitizing x-envoy-* and internal_only_headers, and the request id
 * (ConnectionManagerUtility::mutateRequestHeaders).
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/header_sanitizing
 *
 * The remote address is `CF-Connecting-IP` (Cloudflare sets it to the
 * connecting client; Miniflare sets it to the local peer unless the client
 * sent one). The real scheme is the request URL's. A request is internal when
 * its trusted address is in internal_address_config (none without it, as in
 * Envoy ≥ 1.36), or when the deployment says so (`isInternal`, e.g. a
 * service binding).
 */
import type { DownstreamPolicy, Listener } from '../compile/types.js'
import { withHeaders, type DownstreamInfo } from '../context.js'
import { isWebSocketUpgrade, stripHopByHop } from '../upstream/headers.js'
import { inCidr, isIp } from './ip.js'
import { normalizePathname } from './path-normalize.js'
import { upgradeTypeOf } from './upgrade.js'

export type { DownstreamInfo }

/** Decides which downstream callers are internal (Envoy: internal_address_config). */
export type InternalCaller = (request: Request) => boolean

/** Removed from every request that is not internal (Envoy: cleanInternalHeaders). */
const EXTERNAL_STRIPPED = [
  'x-envoy-retriable-status-codes', 'x-envoy-retriable-header-names', 'x-envoy-retry-on', 'x-envoy-retry-grpc-on', 'x-envoy-max-retries',
  'x-envoy-upstream-alt-stat-name', 'x-envoy-upstream-rq-timeout-ms', 'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-upstream-rq-timeout-alt-response', 'x-envoy-expected-rq-timeout-ms', 'x-envoy-force-trace', 'x-envoy-ip-tags',
  'x-envoy-original-url', 'x-envoy-hedge-on-per-try-timeout',
] as const
/** Removed from edge requests only. */
const EDGE_STRIPPED = ['x-envoy-decorator-operation', 'x-envoy-downstream-service-cluster', 'x-envoy-downstream-service-node', 'x-envoy-original-path'] as const

/**
 * A client may name its own hop-by-hop headers in `Connection`, but not the
 * ones the platform sets (`CF-Connecting-IP`, `Host`) nor the body's framing.
 */
const clientMayNominate = (name: string) => name !== 'host' && name !== 'content-length' && !name.startsWith('cf-')

export function prepareDownstream(
  request: Request,
  policy: DownstreamPolicy,
  internalOnlyHeaders: readonly string[],
  isInternal?: InternalCaller,
  inRanges: (ip: string) => boolean = internalRanges(policy),
): { request: Request; info: DownstreamInfo } {
  const url = new URL(request.url)
  const pathname = url.pathname
  const normalized = normalizePathname(pathname, policy)
  const pathChanged = normalized.action !== 'reject' && normalized.pathname !== pathname
  if (pathChanged) url.pathname = normalized.pathname
  // gRPC clients cannot follow a redirect: Envoy rejects them instead.
  const pathAction = normalized.action === 'redirect' && request.headers.get('content-type')?.startsWith('application/grpc') ? 'reject' : normalized.action

  // No copy of the request: one copy of its headers, changed in place below
  // and put in front of the request's own at the end (context.ts withHeaders).
  const headers = new Headers(request.headers)
  // Envoy keeps Connection and Upgrade on an upgrade request and drops them otherwise.
  stripHopByHop(headers, { keepUpgrade: isWebSocketUpgrade(request.headers), removeNominated: clientMayNominate })

  const peer = request.headers.get('cf-connecting-ip')?.trim() || undefined
  const realScheme = url.protocol.slice(0, -1)
  let remoteAddress: string | undefined
  // Only a request whose x-forwarded-for names one address (or none, with
  // use_remote_address) may be internal: Envoy's "allow trusted address checks".
  let trustable: boolean
  if (policy.useRemoteAddress) {
    trustable = !headers.has('x-forwarded-for')
    // Trusted proxies in front (xff_num_trusted_hops) put the client in XFF, before we append.
    if (policy.xffNumTrustedHops > 0) remoteAddress = lastXff(headers, policy.xffNumTrustedHops - 1).address
    remoteAddress ??= peer
    if (!policy.skipXffAppend && peer) appendXff(headers, peer)
    // The previous hop is not trusted to say the scheme unless it is a trusted proxy.
    if (policy.xffNumTrustedHops === 0 || !headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', realScheme)
  } else {
    const found = lastXff(headers, policy.xffNumTrustedHops)
    remoteAddress = found.address
    trustable = found.single
  }
  if (!headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', realScheme)

  const internal = isInternal?.(request) === true || (trustable && remoteAddress !== undefined && inRanges(remoteAddress))
  remoteAddress ??= peer
  const edge = !internal && policy.useRemoteAddress
  headers.delete('x-envoy-internal')
  if (internal) headers.set('x-envoy-internal', 'true')
  else {
    if (edge) for (const name of EDGE_STRIPPED) headers.delete(name)
    for (const name of EXTERNAL_STRIPPED) headers.delete(name)
    for (const name of internalOnlyHeaders) headers.delete(name)
  }
  if (edge && remoteAddress) headers.set('x-envoy-external-address', remoteAddress)
  // An edge request's id cannot be trusted: the observability stage generates a fresh one.
  if (edge && policy.generateRequestId && !policy.preserveExternalRequestId) headers.delete('x-request-id')

  const conflictingFraming = request.headers.has('transfer-encoding') && request.headers.has('content-length')
  const upgrade = upgradeTypeOf(request.headers)
  const prepared = withHeaders(request, headers, pathChanged ? url.toString() : undefined)
  return { request: prepared, info: { remoteAddress, internal, edge, pathAction, conflictingFraming, url, ...(upgrade !== undefined ? { upgrade } : {}) } }
}

/**
 * Envoy's Utility::getLastAddressFromXFF: the address `skip` entries from the
 * right of x-forwarded-for, if it is a valid IP; `single` when the header
 * holds exactly that one address.
 */
export function lastXff(headers: Headers, skip: number): { address: string | undefined; single: boolean } {
  const xff = headers.get('x-forwarded-for')
  if (xff === null) return { address: undefined, single: false }
  const entries = xff.split(',')
  const entry = entries[entries.length - 1 - skip]?.trim()
  return entry && isIp(entry) ? { address: entry, single: entries.length === 1 && skip === 0 } : { address: undefined, single: false }
}

/** internal_address_config's ranges as one predicate. */
function internalRanges(policy: DownstreamPolicy): (ip: string) => boolean {
  const ranges = policy.internalAddresses.map((r) => inCidr(r.addressPrefix, r.prefixLen))
  return (ip) => ranges.some((inRange) => inRange(ip))
}

function appendXff(headers: Headers, address: string): void {
  const xff = headers.get('x-forwarded-for')
  headers.set('x-forwarded-for', xff ? `${xff}, ${address}` : address)
}


/** The listener's preparation, as one call (its internal ranges compiled once). */
export function prepareFor(listener: Listener, isInternal?: InternalCaller): (request: Request) => { request: Request; info: DownstreamInfo } {
  const inRanges = internalRanges(listener.downstream)
  return (request) => prepareDownstream(request, listener.downstream, listener.routeTable.internalOnlyHeaders, isInternal, inRanges)
}
