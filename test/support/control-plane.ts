/**
 * A small REST-JSON xDS v3 control plane on 127.0.0.1, written from Envoy's
 * protocol docs (not from edgevoy's server), for the xDS client tests.
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
 *
 *   POST /v3/discovery:{listeners,routes,clusters,endpoints}   DiscoveryRequest → DiscoveryResponse | 304
 *   PUT  /__control/snapshot      { [kind]: { version, resources: Any[] } }   (replaces those kinds)
 *   GET  /__control/requests      every DiscoveryRequest received, oldest first
 *
 * Started from workerd tests through upstream-control (`POST /control-planes/:id` → `{ port }`).
 * Each type has its own version, as in the protocol; a request whose
 * version_info equals it gets 304; LDS/CDS with no resource_names get all.
 * With `token`, discovery requests without `Authorization: Bearer <token>`
 * get 401 (another edgevoy's admin xDS does the same; docs/xds.md).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readBody, reply } from './http-json'

const TYPE_URLS: Record<string, string> = {
  listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  clusters: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
}

interface TypeSnapshot {
  version: string
  resources: Record<string, unknown>[]
}

export interface ControlPlane {
  readonly port: number
  close(): Promise<void>
}

export async function startControlPlane(options: { token?: string } = {}): Promise<ControlPlane> {
  const snapshot = new Map<string, TypeSnapshot>()
  const requests: unknown[] = []
  let nonce = 0

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => reply(res, 500, { error: String(e) }))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://cp').pathname
    const body = await readBody(req)
    if (path === '/__control/snapshot' && req.method === 'PUT') {
      for (const [kind, s] of Object.entries(JSON.parse(body) as Record<string, TypeSnapshot>)) snapshot.set(kind, s)
      return reply(res, 200, { ok: true })
    }
    if (path === '/__control/requests') return reply(res, 200, requests)
    const m = /^\/v3\/discovery:(listeners|routes|clusters|endpoints)$/.exec(path)
    if (!m || req.method !== 'POST') return reply(res, 404, { error: 'not found' })
    const kind = m[1]!
    const dr = JSON.parse(body) as { version_info?: string; resource_names?: string[]; type_url?: string }
    const authorized = options.token === undefined || req.headers.authorization === `Bearer ${options.token}`
    requests.push({ kind, ...dr, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) })
    if (!authorized) return reply(res, 401, { code: 16, message: 'missing or wrong bearer token' })
    if (dr.type_url && dr.type_url !== TYPE_URLS[kind]) return reply(res, 400, { code: 3, message: 'type_url mismatch' })
    const s = snapshot.get(kind) ?? { version: '', resources: [] }
    if (s.version === '' || dr.version_info === s.version) {
      res.writeHead(304).end()
      return
    }
    const names = dr.resource_names ?? []
    const nameOf = (r: Record<string, unknown>) => String(r.name ?? r.cluster_name)
    const resources = names.length === 0 ? s.resources : s.resources.filter((r) => names.includes(nameOf(r)))
    reply(res, 200, { version_info: s.version, resources, type_url: TYPE_URLS[kind], nonce: `n${++nonce}` })
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
