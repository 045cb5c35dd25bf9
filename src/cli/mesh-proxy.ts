/**
 * One Envoy of the mesh = one workerd process (Miniflare), one Worker per
 * listener on its own port, plus a Worker on the admin port if the mesh
 * file gives one.
 */
import type { Miniflare } from 'miniflare'
import type { Bundle } from './bundle.js'
import type { HopLog } from './hop-log.js'
import type { MeshPlan, PlannedProxy } from './mesh-plan.js'
import { adminPortWorker, listenerWorker, miniflareOptions } from './miniflare-options.js'
import { startMiniflare, type StopSignal } from './runtime.js'
import type { WranglerWorker } from './wrangler-bindings.js'

/** With `--xds`: the bootstrap a sidecar starts with instead of its file, and the control plane's token. */
export interface XdsFeed {
  readonly bootstrap: string
  readonly token: string
}

/** One Envoy config = one workerd process, one Worker per listener (+ the admin port). */
export function startProxy(p: PlannedProxy, plan: MeshPlan, bundle: Bundle, base: WranglerWorker, adminToken: string, log: HopLog, stop: StopSignal, xds?: XdsFeed): Promise<Miniflare> {
  const byLabel = new Map(p.listeners.map((l) => [l.label, l]))
  const workers = p.listeners.map((l) =>
    listenerWorker(bundle, base, {
      name: l.label,
      configText: xds?.bootstrap ?? p.text,
      listener: l.listener,
      port: l.port,
      resolve: plan.resolve,
      adminToken,
      // One Envoy's listeners share its config store, as they share one Envoy's admin.
      storageId: p.name,
      authorityWorker: p.listeners[0]!.label,
      logTag: l.label,
      ...(xds ? { xdsToken: xds.token } : {}),
    }),
  )
  const ports = p.listeners.map((l) => l.port)
  if (p.admin !== undefined && p.listeners[0]) {
    workers.push(adminPortWorker(`${p.name} admin`, p.listeners[0].label, p.admin))
    ports.push(p.admin)
  }
  const onLine = (line: string, tag: string | undefined, stream: 'stdout' | 'stderr') => {
    const listener = tag ? byLabel.get(tag) : undefined
    if (listener) log.workerLine(listener.label, listener.listener, line, stream)
    else if (line.trim()) log.line(p.name, line, stream)
  }
  return startMiniflare(miniflareOptions({ workers, onLine }), ports, stop)
}
