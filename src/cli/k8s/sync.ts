/**
 * `edgevoy k8s-sync --url URL --token T --node NAME… [--kubeconfig FILE | --in-cluster]`
 *
 * The control-plane half the article asks for ("CDS/EDS/LDS/RDS from one api
 * server"), for pod endpoints: it reads the named node configs from edgevoy's
 * admin API, finds the clusters that name a Kubernetes Service (targets.ts),
 * lists and watches those Services' EndpointSlices (watch.ts), and writes
 * every change of the usable pod set into the node configs (node-writer.ts,
 * If-Match). The sidecars polling edgevoy's REST xDS get the new hosts at
 * their next poll (one refresh_delay). Istio's istiod plays this role for
 * Istio's sidecars. docs/kubernetes.md
 */
import { parseFlags, printHelp, UsageError } from '../args.js'
import { adminBase, adminToken } from '../push.js'
import { kubeClient } from './api.js'
import { usableEndpoints, type EndpointSlice, type PodEndpoint } from './endpoints.js'
import { fromKubeconfig, inCluster, type KubeTarget } from './kubeconfig.js'
import { AdminApiError, readNode, writeNodeEndpoints, type NodeAdmin } from './node-writer.js'
import { k8sClusters, refKey, refText, type K8sRef } from './targets.js'
import { watchEndpointSlices, WatchFatalError } from './watch.js'

const HELP = `Usage: edgevoy k8s-sync --url URL --token T --node NAME [--node NAME…]
                        [--kubeconfig FILE [--context NAME] | --in-cluster]

Watch the EndpointSlices of the Kubernetes Services that the named node
configs point at, and write the ready pods into those configs through the
admin API (If-Match), so sidecars fed by edgevoy's xDS follow the pods.
A cluster names its Service with
  metadata: { filter_metadata: { edgevoy: { k8s: "namespace/service:port" } } }
or by being named "namespace/service:port" (port: the Service port's name, or the pod port).

Options:
  --url URL              the edgevoy Worker (or its admin API) URL
  --token T              admin token (default $ADMIN_TOKEN)
  --node NAME            a node whose config to keep in sync (repeatable, or comma-separated)
  --kubeconfig FILE      kubeconfig to use (default $KUBECONFIG, else in-cluster)
  --context NAME         kubeconfig context (default its current-context)
  --in-cluster           use the pod's ServiceAccount (KUBERNETES_SERVICE_HOST, token, ca.crt)
  --namespace NS         namespace for refs that leave it out (default the context's / the pod's)
  --backoff-ms N         first retry delay after a failure, doubling up to 30 s (default 500)
  --watch-timeout S      ask the API server to end each watch after S seconds (default 300)
  -h, --help             this help
`

const out = (line: string) => process.stdout.write(`k8s-sync: ${line}\n`)
const err = (line: string) => process.stderr.write(`k8s-sync: ${line}\n`)
const show = (eps: readonly PodEndpoint[]) => (eps.length ? eps.map((e) => `${e.address}:${e.port}`).join(', ') : '(none)')

function kubeTarget(values: { kubeconfig?: string; context?: string; 'in-cluster'?: boolean }): KubeTarget {
  if (values['in-cluster']) {
    if (values.kubeconfig) throw new UsageError('--in-cluster and --kubeconfig exclude each other')
    return inCluster()
  }
  const file = values.kubeconfig ?? process.env.KUBECONFIG?.split(':').find(Boolean)
  if (file) return fromKubeconfig(file, values.context)
  if (process.env.KUBERNETES_SERVICE_HOST) return inCluster()
  throw new UsageError('no cluster to watch: pass --kubeconfig FILE (or set $KUBECONFIG), or run in a pod (--in-cluster)')
}

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got "${value}"`)
  return n
}

interface Use {
  readonly node: string
  readonly cluster: string
  readonly ref: K8sRef
}

export async function runK8sSync(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    url: { type: 'string' },
    token: { type: 'string' },
    node: { type: 'string', multiple: true },
    kubeconfig: { type: 'string' },
    context: { type: 'string' },
    'in-cluster': { type: 'boolean' },
    namespace: { type: 'string' },
    'backoff-ms': { type: 'string' },
    'watch-timeout': { type: 'string' },
  })
  if (values.help) return printHelp(HELP)
  const admin: NodeAdmin = { base: adminBase(values.url), token: adminToken(values.token) }
  const nodes = [...new Set((values.node ?? []).flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean))]
  if (nodes.length === 0) throw new UsageError('missing --node NAME (the node configs to keep in sync)')
  const backoffMs = positive(values['backoff-ms'], '--backoff-ms', 500)
  const watchTimeout = Math.round(positive(values['watch-timeout'], '--watch-timeout', 300))
  const target = kubeTarget(values)
  const namespace = values.namespace ?? target.namespace

  // Which node clusters follow which Service.
  const uses: Use[] = []
  for (const node of nodes) {
    let config: unknown
    try {
      config = (await readNode(admin, node)).json
    } catch (e) {
      if (e instanceof AdminApiError && e.status === 404) throw new Error(`no config is stored for node "${node}"; PUT one first (PUT ${admin.base}/nodes/${node}/config)`)
      throw e
    }
    for (const [cluster, ref] of k8sClusters(config, namespace)) uses.push({ node, cluster, ref })
  }
  if (uses.length === 0) throw new Error(`none of the node configs (${nodes.join(', ')}) has a cluster naming a Kubernetes Service (see --help)`)
  const services = [...new Map(uses.map((u) => [refKey(u.ref), u.ref])).values()]
  out(`API server ${target.server} (${target.source}); edgevoy admin ${admin.base}`)
  for (const u of uses) out(`node "${u.node}" cluster "${u.cluster}" ← ${refText(u.ref)}`)

  const slices = new Map<string, ReadonlyMap<string, EndpointSlice>>()
  const controller = new AbortController()
  const writers = new Map(nodes.map((n) => [n, nodeWriter(n)]))

  /** One writer per node: writes never overlap for a node, and a change during a write is written after it. */
  function nodeWriter(node: string) {
    let running = false
    let dirty = false
    let backoff = backoffMs
    const mine = uses.filter((u) => u.node === node)
    const run = async () => {
      running = true
      while (dirty && !controller.signal.aborted) {
        dirty = false
        const desired = new Map<string, PodEndpoint[]>()
        for (const u of mine) {
          const known = slices.get(refKey(u.ref))
          if (known) desired.set(u.cluster, usableEndpoints(known.values(), u.ref.port)) // not listed yet: leave as is
        }
        try {
          const result = await writeNodeEndpoints(admin, node, desired)
          backoff = backoffMs
          if (result.wrote)
            out(`node "${node}" version ${result.version}${result.conflicts ? ` (after ${result.conflicts} conflicting write${result.conflicts === 1 ? '' : 's'})` : ''}: ${[...desired].map(([c, e]) => `${c} = ${show(e)}`).join('; ')}`)
        } catch (e) {
          err(`node "${node}": ${e instanceof Error ? e.message : String(e)}; retrying in ${backoff} ms`)
          dirty = true
          await new Promise((r) => setTimeout(r, backoff))
          backoff = Math.min(backoff * 2, 30_000)
        }
      }
      running = false
    }
    return {
      schedule() {
        dirty = true
        if (!running) void run()
      },
    }
  }

  const client = kubeClient(target)
  let fatal: Error | undefined
  const watchers = services.map((ref) =>
    watchEndpointSlices({
      client,
      namespace: ref.namespace,
      service: ref.service,
      signal: controller.signal,
      initialBackoffMs: backoffMs,
      watchTimeoutSeconds: watchTimeout,
      log: out,
      onChange(current) {
        slices.set(refKey(ref), new Map(current))
        for (const node of new Set(uses.filter((u) => refKey(u.ref) === refKey(ref)).map((u) => u.node))) writers.get(node)!.schedule()
      },
    }).catch((e: unknown) => {
      fatal = e instanceof Error ? e : new Error(String(e))
      controller.abort()
    }),
  )
  out(`watching ${services.length} Service${services.length === 1 ? '' : 's'} (${services.map(refKey).join(', ')})`)

  const stop = (signal: NodeJS.Signals) => {
    out(`${signal}, stopping`)
    controller.abort()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  await Promise.all(watchers)
  process.removeListener('SIGINT', stop)
  process.removeListener('SIGTERM', stop)
  if (fatal) {
    err(fatal instanceof WatchFatalError ? fatal.message : `stopped: ${fatal.message}`)
    return 1
  }
  return 0
}
