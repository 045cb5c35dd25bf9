/**
 * The generated part of deploy/: the sidecars' configs as Kubernetes
 * ConfigMaps, derived from the repo's Envoy configs (routes/) so the two
 * cannot drift (test/node/k8s-manifests.test.ts checks the files are
 * current). `npx tsx deploy/generate.ts` rewrites them.
 *
 * - deploy/kubernetes/10-sidecar-configs.yaml: each routes/service-*.yaml as
 *   Envoy v3, with the compose names mapped the Kubernetes way: `<svc>_envoy`
 *   (another service's sidecar) → its headless Service's DNS name (STRICT_DNS
 *   resolves it to every pod: client-side balancing, as in the article), and
 *   `<svc>` (the app) → 127.0.0.1 (same pod).
 * - deploy/kubernetes/xds/10-sidecar-bootstraps.yaml: the same ConfigMap names
 *   holding REST-xDS bootstraps (docs/xds.md's loopback listener adds the
 *   token), plus the gateway's.
 * - deploy/nodes/*.yaml: what to PUT at /__admin/nodes/<node>/config — the
 *   sidecar configs with every cluster that reaches another service turned
 *   into an EDS cluster that k8s-sync fills from that Service's EndpointSlices.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { loadConfig } from '../../config/load.js'

export const NAMESPACE = 'mesh'
/** The Service port's name on every sidecar Service (the article's `envoy-web`). */
export const SIDECAR_PORT_NAME = 'envoy-web'
/** Where the sidecars reach edgevoy's admin API (replaced at pod start from the edgevoy-edge ConfigMap). */
export const ADMIN_HOST_PLACEHOLDER = '@EDGEVOY_ADMIN_HOST@'
export const TOKEN_PLACEHOLDER = '@EDGEVOY_ADMIN_TOKEN@'
/** How often the sidecars poll edgevoy's xDS: the delay k8s-sync's changes take to arrive. */
export const SIDECAR_REFRESH_DELAY = '2s'
export const XDS_LOOPBACK_PORT = 15010
export const GATEWAY_PORT = 8080

export interface MeshService {
  /** The compose/Envoy name (service_a). */
  readonly name: string
  /** The Kubernetes name (servicea, as in the article: no underscores in DNS labels). */
  readonly k8s: string
  /** The xDS node id (service-a). */
  readonly node: string
  /** The Envoy config under routes/. */
  readonly routes: string
}

export const MESH: readonly MeshService[] = ['a', 'b', 'c'].map((x) => ({ name: `service_${x}`, k8s: `service${x}`, node: `service-${x}`, routes: `routes/service-${x}.yaml` }))
/** The in-cluster half of the article's front-envoy (xDS variant): balances the tunnel's requests over A's pods. */
export const GATEWAY = { name: 'gateway', k8s: 'gateway', node: 'gateway', routes: 'routes/front-envoy.yaml' } as const

export const configMapName = (k8s: string) => `sidecar-config-${k8s}`
export const serviceDns = (k8s: string) => `${k8s}.${NAMESPACE}.svc.cluster.local`

type Json = Record<string, any>

/** routes/<file> as v3 JSON, exactly as edgevoy reads it (v2 converted). */
function v3(root: string, file: string): Json {
  const loaded = loadConfig(readFileSync(join(root, file), 'utf8'))
  if (!loaded.ok) throw new Error(`${file}: does not load: ${loaded.errors.map((e) => e.message).join('; ')}`)
  return structuredClone(loaded.config.json) as Json
}

const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }

/** Today's Envoy needs typed_config on every HTTP filter (the article's era looked filters up by name). */
function modernize(config: Json): void {
  // admin.access_log_path is deprecated in v3 (admin.access_log replaces it).
  if (config.admin) delete config.admin.access_log_path
  for (const l of config.static_resources?.listeners ?? [])
    for (const chain of l.filter_chains ?? [])
      for (const f of chain.filters ?? []) {
        const hcm = f.typed_config
        if (hcm?.http_filters) hcm.http_filters = hcm.http_filters.map((h: Json) => (h.name === 'envoy.filters.http.router' && !h.typed_config ? ROUTER : h))
      }
}

const sidecarOf = (address: string) => MESH.find((s) => `${s.name}_envoy` === address)
const appOf = (address: string) => MESH.find((s) => s.name === address)
const addresses = (c: Json): Json[] => (c.load_assignment?.endpoints ?? []).flatMap((e: Json) => e.lb_endpoints ?? []).map((lb: Json) => lb.endpoint.address.socket_address)

/** The static variant: compose names → Kubernetes names. */
export function staticSidecarConfig(root: string, s: MeshService): Json {
  const config = v3(root, s.routes)
  modernize(config)
  for (const c of config.static_resources.clusters ?? [])
    for (const sa of addresses(c)) {
      const sidecar = sidecarOf(sa.address)
      if (sidecar) sa.address = serviceDns(sidecar.k8s)
      else if (appOf(sa.address)) sa.address = '127.0.0.1'
      else throw new Error(`${s.routes}: cluster ${c.name} names "${sa.address}", which is neither a service nor a sidecar of the mesh`)
    }
  return config
}

/** The node config edgevoy serves over xDS: clusters that reach a sidecar become EDS clusters fed by k8s-sync. */
export function nodeConfig(root: string, s: MeshService | typeof GATEWAY): Json {
  const config = v3(root, s.routes)
  modernize(config)
  delete config.admin // the sidecar's own bootstrap has the admin; xDS serves listeners and clusters
  if (s === GATEWAY) for (const l of config.static_resources.listeners) l.address.socket_address.port_value = GATEWAY_PORT
  const edsConfig = {
    resource_api_version: 'V3',
    api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: ['edgevoy_xds'], refresh_delay: SIDECAR_REFRESH_DELAY },
  }
  config.static_resources.clusters = config.static_resources.clusters.map((c: Json) => {
    const [first] = addresses(c)
    const sidecar = first ? sidecarOf(first.address) : undefined
    if (!sidecar) {
      for (const sa of addresses(c)) sa.address = '127.0.0.1' // the app, in the same pod
      return { ...c, type: 'STATIC' }
    }
    const { load_assignment: _la, ...rest } = c
    return {
      ...rest,
      type: 'EDS',
      eds_cluster_config: { eds_config: edsConfig },
      metadata: { filter_metadata: { edgevoy: { k8s: `${NAMESPACE}/${sidecar.k8s}:${SIDECAR_PORT_NAME}` } } },
      // k8s-sync writes the ready pods here; edgevoy serves them over EDS.
      load_assignment: { cluster_name: c.name, endpoints: [] },
    }
  })
  return config
}

/** docs/xds.md's bootstrap: node id, LDS/CDS over REST through a loopback listener that adds the token. */
export function xdsBootstrap(node: string): Json {
  const source = {
    resource_api_version: 'V3',
    api_config_source: { api_type: 'REST', transport_api_version: 'V3', cluster_names: ['edgevoy_xds'], refresh_delay: SIDECAR_REFRESH_DELAY },
  }
  const loopback = { socket_address: { address: '127.0.0.1', port_value: XDS_LOOPBACK_PORT } }
  return {
    node: { id: node, cluster: NAMESPACE },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } },
    dynamic_resources: { lds_config: source, cds_config: source },
    static_resources: {
      listeners: [
        {
          name: 'xds_egress',
          address: loopback,
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'xds_egress',
                    route_config: {
                      virtual_hosts: [
                        {
                          name: 'edgevoy',
                          domains: ['*'],
                          routes: [
                            {
                              match: { prefix: '/v3/discovery' },
                              route: { cluster: 'edgevoy_admin', prefix_rewrite: '/__admin/xds/v3/discovery', host_rewrite_literal: ADMIN_HOST_PLACEHOLDER },
                              request_headers_to_add: [{ header: { key: 'authorization', value: `Bearer ${TOKEN_PLACEHOLDER}` }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
                            },
                          ],
                        },
                      ],
                    },
                    http_filters: [ROUTER],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'edgevoy_xds',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: { cluster_name: 'edgevoy_xds', endpoints: [{ lb_endpoints: [{ endpoint: { address: loopback } }] }] },
        },
        {
          name: 'edgevoy_admin',
          type: 'LOGICAL_DNS',
          connect_timeout: '2s',
          dns_lookup_family: 'V4_ONLY',
          load_assignment: {
            cluster_name: 'edgevoy_admin',
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: ADMIN_HOST_PLACEHOLDER, port_value: 443 } } } }] }],
          },
          transport_socket: {
            name: 'envoy.transport_sockets.tls',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', sni: ADMIN_HOST_PLACEHOLDER },
          },
        },
      ],
    },
  }
}

/** No anchors/aliases (shared objects are written out), no folding. */
const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const

const header = (what: string) =>
  `# GENERATED by \`npx tsx deploy/generate.ts\` from ${what} — do not edit by hand\n# (test/node/k8s-manifests.test.ts fails when this file is not current).\n`

const configMap = (name: string, envoyConfig: Json, labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'edgevoy-mesh', ...labels } },
  data: { 'envoy-config': stringify(envoyConfig, YAML_OPTIONS) },
})

const docs = (objects: Json[]) => objects.map((o) => stringify(o, YAML_OPTIONS)).join('---\n')

/** Every generated file, by path relative to the repo root. */
export function generateManifests(root: string): Map<string, string> {
  const files = new Map<string, string>()
  files.set(
    'deploy/kubernetes/10-sidecar-configs.yaml',
    header('routes/service-*.yaml') + docs(MESH.map((s) => configMap(configMapName(s.k8s), staticSidecarConfig(root, s), { 'edgevoy.dev/variant': 'static' }))),
  )
  files.set(
    'deploy/kubernetes/xds/10-sidecar-bootstraps.yaml',
    header('src/cli/k8s/manifests.ts (docs/xds.md\'s loopback-listener bootstrap)') +
      docs([...MESH, GATEWAY].map((s) => configMap(configMapName(s.k8s), xdsBootstrap(s.node), { 'edgevoy.dev/variant': 'xds' }))),
  )
  for (const s of [...MESH, GATEWAY]) files.set(`deploy/nodes/${s.node}.yaml`, header(s.routes) + stringify(nodeConfig(root, s), YAML_OPTIONS))
  return files
}
