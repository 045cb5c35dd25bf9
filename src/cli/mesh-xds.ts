/**
 * `npm start -- --xds`: the sidecars take their config from the front proxy
 * over REST xDS instead of from their files, as the mesh's Envoys would from
 * a control plane. The front proxy (the mesh's proxy with an admin port)
 * keeps its static config and is the control plane: its admin API stores one
 * config per node (`PUT /nodes/<node>/config`) and serves it at
 * `/xds/v3/discovery:*`. Each sidecar starts with a bootstrap that has only
 * `dynamic_resources` and the cluster to reach that admin port.
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rest-json-polling-subscriptions
 */
import { loadConfig } from '../config/load.js'
import type { MeshPlan, PlannedProxy } from './mesh-plan.js'
import { LOCAL_HOST } from './ports.js'

/** How often a sidecar polls: a live edit shows within about this long. */
export const XDS_REFRESH_DELAY = '1s'
const XDS_CLUSTER = 'xds_cluster'
const READY_TIMEOUT_MS = 15_000

/** Which proxy serves xDS (the first with an admin port) and which take their config from it. */
export interface XdsRoles {
  readonly controlPlane: PlannedProxy & { readonly admin: number }
  readonly sidecars: readonly PlannedProxy[]
}

export function xdsRoles(plan: MeshPlan): XdsRoles | string {
  const controlPlane = plan.proxies.find((p): p is XdsRoles['controlPlane'] => p.admin !== undefined)
  if (!controlPlane) return '--xds needs a proxy with an admin port in the mesh file (its admin API is the control plane)'
  return { controlPlane, sidecars: plan.proxies.filter((p) => p !== controlPlane) }
}

/**
 * The bootstrap a sidecar starts with: its node id, LDS and CDS from the
 * control plane's admin port, nothing static but the cluster that reaches it.
 * Envoy's REST path is fixed (`/v3/discovery:<type>`); the edgevoy
 * `path_prefix` metadata puts it under the admin API's `/xds`.
 */
export function sidecarBootstrap(node: string, adminPort: number): string {
  const source = {
    resource_api_version: 'V3',
    api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: [XDS_CLUSTER], refresh_delay: XDS_REFRESH_DELAY },
  }
  const endpoint = { endpoint: { address: { socket_address: { address: LOCAL_HOST, port_value: adminPort } } } }
  const bootstrap = {
    node: { id: node, cluster: node },
    dynamic_resources: { lds_config: source, cds_config: source },
    static_resources: {
      clusters: [
        {
          name: XDS_CLUSTER,
          type: 'STATIC',
          connect_timeout: '1s',
          metadata: { filter_metadata: { edgevoy: { path_prefix: '/xds' } } },
          load_assignment: { cluster_name: XDS_CLUSTER, endpoints: [{ lb_endpoints: [endpoint] }] },
        },
      ],
    },
  }
  return JSON.stringify(bootstrap, null, 2)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** Store each sidecar's own config (its file, as v3 JSON) on the control plane, under its name as node id. */
export async function storeNodeConfigs(roles: XdsRoles, token: string): Promise<void> {
  for (const p of roles.sidecars) {
    const loaded = loadConfig(p.text)
    if (!loaded.ok) throw new Error(`${p.file}: cannot be loaded for xDS`) // planMesh already loaded it
    const url = `http://${LOCAL_HOST}:${roles.controlPlane.admin}/nodes/${encodeURIComponent(p.name)}/config`
    const res = await fetch(url, { method: 'PUT', headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify(loaded.config.json) })
    if (!res.ok) throw new Error(`storing ${p.file} as node ${p.name} on ${roles.controlPlane.name}: ${res.status} ${await res.text()}`)
  }
}

/**
 * Wait until a sidecar's first xDS update is published. The first request
 * to a sidecar Worker starts its poller, so this also kicks it off; until
 * then its listeners answer 503.
 */
export async function waitForXdsConfig(p: PlannedProxy, token: string): Promise<void> {
  const port = p.listeners[0]?.port
  if (port === undefined) return
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    const res = await fetch(`http://${LOCAL_HOST}:${port}/__admin/config`, { headers: bearer(token) }).catch(() => undefined)
    await res?.body?.cancel()
    if (Number(res?.headers.get('x-edgevoy-config-version') ?? 0) > 0) return
    if (Date.now() > deadline) throw new Error(`${p.name} got no config over xDS within ${READY_TIMEOUT_MS / 1000} s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
