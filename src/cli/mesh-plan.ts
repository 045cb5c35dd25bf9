/**
 * From mesh.yaml to a plan: every proxy listener with its local port and
 * resolve map, every service instance with its port and call URLs — checked
 * whole (config errors, port clashes, unmapped hostnames) before anything starts.
 */
import { relative } from 'node:path'
import type { Snapshot } from '../compile/types.js'
import { readConfig } from './read-config.js'
import { instancePorts, type MeshConfig } from './mesh-config.js'

export interface PlannedListener {
  /** Log label and Miniflare worker name: `front-envoy:8080`. */
  readonly label: string
  readonly listener: string
  readonly configPort: number
  readonly port: number
  /** Where its routes forward to: cluster names. */
  readonly clusters: readonly string[]
}

export interface PlannedProxy {
  readonly name: string
  readonly file: string
  readonly text: string
  readonly snapshot: Snapshot
  readonly listeners: readonly PlannedListener[]
  readonly admin: number | undefined
}

export interface PlannedInstance {
  readonly label: string
  readonly service: string
  readonly port: number
  readonly calls: readonly string[]
}

export interface MeshPlan {
  readonly proxies: readonly PlannedProxy[]
  readonly instances: readonly PlannedInstance[]
  /** EDGEVOY_RESOLVE for every listener: compose hostnames → local addresses. */
  readonly resolve: Record<string, string[]>
  /** Every port the mesh will listen on, with its owner's label. */
  readonly ports: ReadonlyMap<number, string>
  readonly warnings: readonly string[]
}

export type PlanResult = { ok: true; plan: MeshPlan } | { ok: false; errors: string[] }

export function planMesh(mesh: MeshConfig): PlanResult {
  const errors: string[] = []
  const warnings: string[] = []
  const ports = new Map<number, string>()
  const claim = (port: number, owner: string) => {
    const other = ports.get(port)
    if (other) errors.push(`${mesh.file}: port ${port} is used twice: by ${other} and by ${owner}`)
    else ports.set(port, owner)
  }

  const resolve: Record<string, string[]> = {}
  for (const [host, ip] of Object.entries(mesh.hosts)) {
    const service = mesh.services.find((s) => s.name === host)
    // A service's hostname resolves to each of its instances, like a scaled compose service.
    resolve[host] = service ? instancePorts(service).map((p) => `${ip}:${p}`) : [ip]
  }

  const instances: PlannedInstance[] = mesh.services.flatMap((s) =>
    instancePorts(s).map((port, i) => {
      const label = `${s.name}-${i + 1}`
      claim(port, label)
      return { label, service: s.name, port, calls: (s.calls ?? []).map((url) => localUrl(url, mesh.hosts)) }
    }),
  )

  const proxies: PlannedProxy[] = []
  for (const p of mesh.proxies) {
    const result = readConfig(p.configPath, resolve)
    const file = relative(process.cwd(), p.configPath) || p.configPath
    if (!result.ok) {
      errors.push(...result.errors)
      continue
    }
    const listeners = result.snapshot.listeners.map((l) => {
      const port = p.ports?.[String(l.port)] ?? l.port
      const label = `${p.name}:${port}`
      claim(port, label)
      const clusters = new Set(l.routeTable.virtualHosts.flatMap((v) => v.routes.flatMap((r) => clustersOf(r.action))))
      return { label, listener: l.name, configPort: l.port, port, clusters: [...clusters] }
    })
    if (p.admin !== undefined) claim(p.admin, `${p.name} admin`)
    for (const cluster of result.snapshot.clusters.values()) {
      for (const host of cluster.hosts) {
        const name = host.hostname
        if (!(name in mesh.hosts) && !/^[\d.]+$|:/.test(name) && !resolve[name] && !/^127\.|^localhost$/.test(name)) {
          warnings.push(`${file}: cluster ${cluster.name} endpoint ${host.address}: "${name}" is not in ${mesh.file} hosts; it is resolved by DNS`)
        }
      }
    }
    proxies.push({ name: p.name, file, text: result.text, snapshot: result.snapshot, listeners, admin: p.admin })
  }
  return errors.length ? { ok: false, errors } : { ok: true, plan: { proxies, instances, resolve, ports, warnings } }
}

function clustersOf(action: Snapshot['listeners'][number]['routeTable']['virtualHosts'][number]['routes'][number]['action']): string[] {
  if (action.type !== 'route') return [action.type]
  const t = action.target
  return t.kind === 'cluster' ? [t.name] : t.kind === 'weighted' ? t.clusters.map((c) => (c.clusterHeader !== undefined ? `header ${c.clusterHeader}` : c.name)) : [`header ${t.header}`]
}

/** `http://service_a_envoy:8788/` → `http://127.0.0.1:8788/`: the services use the same names as the configs. */
function localUrl(url: string, hosts: Readonly<Record<string, string>>): string {
  const u = new URL(url)
  const ip = hosts[u.hostname]
  if (ip) u.hostname = ip
  return u.href
}
