/**
 * `edgevoy start` (`npm start`) — the article's whole mesh on one machine:
 * the services, and every listener of every Envoy config served by edgevoy.
 * Everything is checked before anything starts; if a step fails, what did
 * start is stopped; Ctrl-C/SIGTERM stops it all, and waits for it.
 */
import { randomBytes } from 'node:crypto'
import { join, relative } from 'node:path'
import { parseFlags, parseReplicas, printHelp } from './args.js'
import { ROOT } from './bundle.js'
import { findAdminToken } from './dev-vars.js'
import { HopLog } from './hop-log.js'
import { loadMesh, withReplicas } from './mesh-config.js'
import { planMesh, type PlannedProxy } from './mesh-plan.js'
import { hopsOf, probeHops, startWaves } from './mesh-order.js'
import type { XdsFeed } from './mesh-proxy.js'
import { sidecarBootstrap, storeNodeConfigs, waitForXdsConfig, XDS_REFRESH_DELAY, xdsRoles } from './mesh-xds.js'
import { portsInUse } from './ports.js'
import type { RunningService } from './services.js'
import type { RunningProxy } from './mesh-table.js'

const HELP = `Usage: edgevoy start [--mesh routes/mesh.yaml] [--replicas N | --replicas service_a=2] [--xds]

Run the article's service mesh locally, without Docker: services A, B and C
(mesh/service.mjs) and, in front of each, edgevoy serving the article's Envoy
configs — every listener on its own port, the front proxy on 8080 and its
admin API on 9901. Hops open from the inside out, each once the hops it
forwards to answer, so the front proxy's port opens last. Prints what listens
where, then one log line per request from every hop. Bindings come from
wrangler.toml. Ctrl-C or SIGTERM (to npm, npx or node) stops everything.

Options:
  --mesh FILE          the mesh description (default routes/mesh.yaml)
  --replicas N         run N instances of every service; or service_a=2 (or a=2)
                       for one service; the service's hostname resolves to all
                       of them, so its cluster round-robins
  --admin-token T      admin API token (else $ADMIN_TOKEN, .dev.vars, or a random one)
  --xds                the sidecars take their config over REST xDS from the front
                       proxy's admin API (polled every ${XDS_REFRESH_DELAY}) instead of from their files;
                       change one live with PUT localhost:9901/nodes/<sidecar>/config
  -h, --help           this help
`

export async function runStart(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    mesh: { type: 'string', default: join(ROOT, 'routes/mesh.yaml') },
    replicas: { type: 'string', multiple: true },
    'admin-token': { type: 'string' },
    xds: { type: 'boolean' },
  })
  if (values.help) return printHelp(HELP)

  // Bundling and loading Miniflare take seconds: start both now, while the configs are checked.
  const bundling = Promise.all([import('./bundle.js').then((m) => m.bundleWorker()), import('./wrangler-bindings.js').then((m) => m.wranglerBindings())])
  const loading = Promise.all([import('./runtime.js'), import('./services.js'), import('./mesh-proxy.js'), import('./mesh-table.js')])
  bundling.catch(() => {}) // both awaited below; no unhandled rejection if we return earlier
  loading.catch(() => {})
  const mesh = withReplicas(loadMesh(values.mesh), parseReplicas(values.replicas ?? []))
  const planned = planMesh(mesh)
  if (!planned.ok) {
    for (const line of planned.errors) process.stderr.write(`${line}\n`)
    process.stderr.write(`edgevoy start: ${relative(process.cwd(), mesh.file)} cannot start (${planned.errors.length} error${planned.errors.length === 1 ? '' : 's'})\n`)
    return 1
  }
  const plan = planned.plan
  const roles = values.xds ? xdsRoles(plan) : undefined
  if (typeof roles === 'string') {
    process.stderr.write(`edgevoy start: ${roles}\n`)
    return 1
  }
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`)

  const taken = await portsInUse([...plan.ports.keys()])
  if (taken.length) {
    for (const t of taken) process.stderr.write(`edgevoy start: ${t}\n`)
    process.stderr.write(`edgevoy start: nothing started; free ${taken.length === 1 ? 'that port' : 'those ports'} (or stop the other mesh) and retry\n`)
    return 1
  }

  const [{ StopSignal }, { startService, stopService }, { startProxy }, { printMeshTable, watchProxies }] = await loading
  const found = findAdminToken(values['admin-token'])
  const admin = found ?? { token: `dev-${randomBytes(12).toString('hex')}`, source: 'random' as const }
  const log = new HopLog()
  log.widen(plan.ports.values())

  const stop = new StopSignal()
  let stopping = false
  const services: RunningService[] = []
  const proxies: RunningProxy[] = []
  const stopAll = async () => {
    stopping = true
    await Promise.allSettled([...proxies.map((p) => p.mf.dispose()), ...services.map(stopService)])
  }

  try {
    const [bundle, wrangler] = await bundling
    for (const notice of wrangler.notices) process.stderr.write(`edgevoy start: notice: ${notice}\n`)
    // Services first, so the first request through the proxies finds them.
    const started = await Promise.allSettled(plan.instances.map((i) => startService(i, log, () => stopping)))
    for (const s of started) if (s.status === 'fulfilled') services.push(s.value)
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) throw failed.reason
    const startProxies = async (list: readonly PlannedProxy[], feed?: (p: PlannedProxy) => XdsFeed) => {
      const runtimes = await Promise.allSettled(list.map((p) => startProxy(p, plan, bundle, wrangler.worker, admin.token, log, stop, feed?.(p))))
      for (const [i, r] of runtimes.entries()) if (r.status === 'fulfilled') proxies.push({ proxy: list[i]!, mf: r.value })
      const failedProxy = runtimes.find((s): s is PromiseRejectedResult => s.status === 'rejected')
      if (failedProxy) throw failedProxy.reason
    }
    if (roles) {
      // The control plane first, holding every sidecar's config before any sidecar asks for it.
      await startProxies([roles.controlPlane])
      await storeNodeConfigs(roles, admin.token)
      await startProxies(roles.sidecars, (p) => ({ bootstrap: sidecarBootstrap(p.name, roles.controlPlane.admin), token: admin.token }))
      await Promise.all(roles.sidecars.map((p) => waitForXdsConfig(p, admin.token)))
    } else {
      // Inner hops first; each wave opens once the hops it forwards to answer, so :8080 opens last.
      for (const wave of startWaves(plan)) {
        const unready = await probeHops(hopsOf(wave, plan))
        for (const u of unready) process.stderr.write(`edgevoy start: warning: ${u}; opening ${wave.map((p) => p.name).join(', ')} anyway\n`)
        if (stop.received) break
        await startProxies(wave)
      }
    }
  } catch (e) {
    process.stderr.write(`edgevoy start: ${e instanceof Error ? e.message : String(e)}; stopping what started\n`)
    await stopAll()
    return 1
  }

  // The table lists hops in mesh.yaml's order (the front first), whatever order they opened in.
  proxies.sort((a, b) => plan.proxies.indexOf(a.proxy) - plan.proxies.indexOf(b.proxy))
  if (!stop.received) printMeshTable(plan, proxies, services, admin, roles)
  const unwatch = watchProxies(proxies, log, () => stopping)
  const signal = await stop.promise
  process.stdout.write(`edgevoy start: ${signal}, stopping the mesh\n`)
  unwatch()
  await stopAll()
  process.stdout.write('edgevoy start: stopped\n')
  return 0
}
