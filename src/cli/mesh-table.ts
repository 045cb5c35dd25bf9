/**
 * What `npm start` prints once the mesh is up: a table of what listens where
 * (with each workerd's pid, so `kill PID` stops one Envoy as `docker stop`
 * would), the curl to paste, and the admin API with its token.
 */
import type { Miniflare } from 'miniflare'
import type { HopLog } from './hop-log.js'
import type { MeshPlan, PlannedProxy } from './mesh-plan.js'
import { XDS_REFRESH_DELAY, type XdsRoles } from './mesh-xds.js'
import { listeningPid } from './ports.js'
import type { RunningService } from './services.js'

export interface RunningProxy {
  readonly proxy: PlannedProxy
  readonly mf: Miniflare
}

const pidOf = (p: RunningProxy) => (p.proxy.listeners[0] ? listeningPid(p.proxy.listeners[0].port) : undefined)

export function printMeshTable(plan: MeshPlan, proxies: readonly RunningProxy[], services: readonly RunningService[], admin: { token: string; source: string }, xds?: XdsRoles): void {
  const fedOverXds = new Set(xds?.sidecars.map((p) => p.name))
  const rows: string[][] = [['HOP', 'LISTENS ON', 'SERVES', 'FORWARDS TO', 'PID']]
  for (const p of proxies) {
    const pid = String(pidOf(p) ?? '?')
    for (const l of p.proxy.listeners) {
      const mapped = l.port === l.configPort ? '' : ` (config: ${l.configPort})`
      const targets = l.clusters.map((c) => `${c} -> ${endpointsOf(p.proxy, c)}`).join('; ')
      const via = fedOverXds.has(p.proxy.name) ? ` (xDS node ${p.proxy.name})` : ''
      rows.push([l.label, `127.0.0.1:${l.port}${mapped}`, `listener ${l.listener}${via}`, targets, pid])
    }
    if (p.proxy.admin !== undefined) rows.push([`${p.proxy.name} admin`, `127.0.0.1:${p.proxy.admin}`, 'admin API', `${p.proxy.listeners[0]?.label ?? ''}/__admin`, pid])
  }
  for (const s of services) {
    rows.push([s.instance.label, `127.0.0.1:${s.instance.port}`, 'mesh/service.mjs', s.instance.calls.join(', ') || '-', String(s.child.pid ?? '?')])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const table = rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`)
  const front = proxies[0]?.proxy
  const frontPort = front?.listeners[0]?.port ?? 8080
  const adminPort = proxies.find((p) => p.proxy.admin !== undefined)?.proxy.admin
  const out = [
    '',
    'edgevoy: the mesh is up',
    ...table,
    '',
    `  try:    curl -s localhost:${frontPort}/ | jq`,
    ...(adminPort !== undefined
      ? [`  admin:  curl -s -H 'authorization: Bearer ${admin.token}' localhost:${adminPort}/clusters   (token: ${admin.source === 'random' ? 'random for this run; set ADMIN_TOKEN to choose it' : `from ${admin.source}`})`]
      : []),
    ...(xds ? xdsLines(xds, admin.token) : []),
    '  stop one hop: kill PID (as `docker stop` would); Ctrl-C stops everything',
    '',
  ]
  process.stdout.write(`${out.join('\n')}\n`)
}

/** With `--xds`: where the sidecars' config comes from, and how to change one live. */
function xdsLines(xds: XdsRoles, token: string): string[] {
  const cp = xds.controlPlane
  const example = xds.sidecars.find((p) => p.name.includes('_b')) ?? xds.sidecars[0]
  return [
    `  xDS:    ${xds.sidecars.map((p) => p.name).join(', ')} take their config from ${cp.name}'s admin (127.0.0.1:${cp.admin}/xds/v3/discovery:*), polled every ${XDS_REFRESH_DELAY}; ${cp.name} itself is static`,
    ...(example
      ? [`  edit:   curl -X PUT -H 'authorization: Bearer ${token}' -H 'content-type: application/yaml' localhost:${cp.admin}/nodes/${example.name}/config --data-binary @${example.file}   (applies within ${XDS_REFRESH_DELAY})`]
      : []),
  ]
}

function endpointsOf(proxy: PlannedProxy, clusterName: string): string {
  const cluster = proxy.snapshot.clusters.get(clusterName)
  return cluster ? cluster.hosts.map((h) => `${h.address}`).join(' ') || 'no endpoints' : clusterName
}

/**
 * Notice an Envoy's workerd going away (killed by the user to watch the
 * others answer 503), and say so in the log once.
 */
export function watchProxies(proxies: readonly RunningProxy[], log: HopLog, stopping: () => boolean): () => void {
  const alive = new Map(proxies.flatMap((p) => {
    const pid = pidOf(p)
    return pid ? [[p, pid] as const] : []
  }))
  const timer = setInterval(() => {
    for (const [p, pid] of alive) {
      try {
        process.kill(pid, 0)
      } catch {
        alive.delete(p)
        if (!stopping()) log.line(p.proxy.name, `workerd (pid ${pid}) is gone: nothing listens on ${p.proxy.listeners.map((l) => `:${l.port}`).join(' ')} any more`, 'stderr')
      }
    }
  }, 1000)
  timer.unref()
  return () => clearInterval(timer)
}
