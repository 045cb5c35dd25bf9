/**
 * REST-JSON xDS v3, server side: `POST /v3/discovery:{listeners,routes,clusters,endpoints}`
 * with a DiscoveryRequest body, answered by a DiscoveryResponse built from
 * the config stored for the requesting node — or 304 when the request's
 * version_info is already the current one (Envoy's RestApiFetcher treats 304
 * as "nothing changed" and keeps polling).
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/service/discovery/v3/discovery.proto
 *
 * Each response carries one version for the whole node config. When the
 * request names resources (RDS, EDS), the version also carries a hash of those
 * names: a client that asks for a different set with the same version_info
 * must get an answer, not a 304.
 */
import { Hono, type Context } from 'hono'
import { bootstrapToResources, packAny, TYPE_URLS, WILDCARD_KINDS, XDS_KINDS, type XdsKind } from './resources.js'

/** `envoy.service.discovery.v3.DiscoveryRequest` in proto3 JSON (snake_case, as Envoy sends it). */
export interface DiscoveryRequest {
  version_info?: string
  node?: { id?: string; cluster?: string; [k: string]: unknown }
  resource_names?: string[]
  type_url?: string
  response_nonce?: string
  /** Set on a NACK: `google.rpc.Status` ({ code, message }). */
  error_detail?: { code?: number; message?: string }
}

/** `envoy.service.discovery.v3.DiscoveryResponse`. */
export interface DiscoveryResponse {
  version_info: string
  resources: Record<string, unknown>[]
  type_url: string
  nonce: string
}

export interface NodeConfig {
  /** The config's version (the authority's counter); strings are passed through. */
  readonly version: number | string
  /** The node's v3 bootstrap JSON. */
  readonly json: unknown
}

/** The node's config; `c` is the request's Hono context (for bindings), when served through xdsRoutes. */
export type GetNodeConfig = (nodeId: string, nodeCluster: string, c?: Context) => Promise<NodeConfig | undefined>

/** What the server logs about NACKs (the last one per node and type), for the admin API to show. */
export interface XdsServerOptions {
  onNack?: (node: string, kind: XdsKind, request: DiscoveryRequest) => void
}

const problem = (status: 400 | 404, message: string) =>
  new Response(JSON.stringify({ code: status === 400 ? 3 : 5, message }), { status, headers: { 'content-type': 'application/json' } })

/** FNV-1a, 32 bits: a short stable tag for a set of resource names. */
function namesTag(names: readonly string[]): string {
  let h = 0x811c9dc5
  for (const ch of [...names].sort().join('\n')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0
  return h.toString(16).padStart(8, '0')
}

/** Answer one DiscoveryRequest for one kind, or a 4xx/304 Response. */
export async function discover(kind: XdsKind, request: DiscoveryRequest, getNodeConfig: GetNodeConfig, options: XdsServerOptions = {}, c?: Context): Promise<DiscoveryResponse | Response> {
  if (request.type_url !== undefined && request.type_url !== '' && request.type_url !== TYPE_URLS[kind])
    return problem(400, `type_url ${request.type_url} does not match /v3/discovery:${kind} (expected ${TYPE_URLS[kind]})`)
  const nodeId = request.node?.id ?? ''
  const nodeCluster = request.node?.cluster ?? ''
  if (nodeId === '' && nodeCluster === '') return problem(400, 'the DiscoveryRequest has no node.id or node.cluster')
  if (request.error_detail) options.onNack?.(nodeId || nodeCluster, kind, request)
  const config = await getNodeConfig(nodeId, nodeCluster, c)
  if (!config) return problem(404, `no config is stored for node "${nodeId}" (cluster "${nodeCluster}"); PUT one at /nodes/:node/config`)

  const names = (request.resource_names ?? []).filter((n) => n !== '')
  const wildcard = names.includes('*') || (names.length === 0 && WILDCARD_KINDS.has(kind))
  const version = wildcard ? String(config.version) : `${String(config.version)}/${namesTag(names)}`
  if (request.version_info === version && !request.error_detail) return new Response(null, { status: 304 })

  const all = bootstrapToResources(config.json)[kind]
  // Names the node does not have are left out; Envoy treats a missing RDS/EDS resource as absent.
  const chosen = wildcard ? [...all.values()] : names.flatMap((n) => (all.has(n) ? [all.get(n)!] : []))
  return { version_info: version, resources: chosen.map((r) => packAny(kind, r)), type_url: TYPE_URLS[kind], nonce: crypto.randomUUID() }
}

/**
 * The REST xDS endpoints as a Hono sub-app. Mount it behind the admin token:
 * `api.route('/xds', xdsRoutes(getNodeConfig))` → `/__admin/xds/v3/discovery:clusters`.
 */
export function xdsRoutes<E extends object = object>(getNodeConfig: GetNodeConfig, options: XdsServerOptions = {}): Hono<E> {
  const app = new Hono<E>()
  // A ':' inside a segment is literal to Hono (params start a segment), so the four paths are spelled out.
  for (const kind of XDS_KINDS) {
    app.post(`/v3/discovery:${kind}`, async (c) => {
      let body: unknown
      try {
        body = JSON.parse((await c.req.text()) || '{}')
      } catch (e) {
        return problem(400, `the body is not a JSON DiscoveryRequest: ${e instanceof Error ? e.message : String(e)}`)
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return problem(400, 'the body is not a JSON DiscoveryRequest object')
      const answer = await discover(kind, body as DiscoveryRequest, getNodeConfig, options, c)
      return answer instanceof Response ? answer : c.json(answer)
    })
  }
  return app
}
