/**
 * The Worker's bindings, read from wrangler.toml by wrangler itself — the one
 * source of bindings for `edgevoy dev`, every hop of `edgevoy start`, and the
 * tests (vitest-pool-workers reads the same file). No second hand-kept list:
 * a binding added to wrangler.toml (a Durable Object, `[[ratelimits]]`,
 * `[[analytics_engine_datasets]]`, `[[services]]`, vars) exists locally too.
 *
 * wrangler's `unstable_getMiniflareWorkerOptions` is what `wrangler dev` and
 * `getPlatformProxy` use to turn the config into Miniflare options.
 * https://developers.cloudflare.com/workers/wrangler/api/#getplatformproxy
 */
import { join } from 'node:path'
import { Response as MfResponse, type WorkerOptions } from 'miniflare'
import { ROOT } from './bundle.js'
import { UsageError } from './args.js'

/** Bindings and runtime settings of one Worker, without its code (edgevoy bundles that itself). */
export type WranglerWorker = Omit<WorkerOptions, 'script' | 'scriptPath' | 'modules' | 'modulesRoot' | 'modulesRules'>

export const WRANGLER_CONFIG = join(ROOT, 'wrangler.toml')

/** The binding groups a Worker's `env` is made of, as Miniflare names them. */
const BINDING_GROUPS = [
  'bindings',
  'textBlobBindings',
  'dataBlobBindings',
  'wasmBindings',
  'kvNamespaces',
  'r2Buckets',
  'd1Databases',
  'queueProducers',
  'hyperdrives',
  'analyticsEngineDatasets',
  'ratelimits',
  'durableObjects',
  'serviceBindings',
  'wrappedBindings',
  'workflows',
  'secretsStoreSecrets',
  'workerLoaders',
] as const

/**
 * Binding kinds that only exist on Cloudflare (Miniflare reaches them through a
 * remote proxy session, which a local run does not open): dropped, with a notice.
 */
const REMOTE_RECORDS = ['vectorize', 'dispatchNamespaces', 'mtlsCertificates', 'vpcServices', 'vpcNetworks', 'aiSearchNamespaces', 'aiSearchInstances'] as const
const REMOTE_SINGLE = ['ai', 'browserRendering', 'images', 'media'] as const

export interface WranglerBindings {
  readonly worker: WranglerWorker
  /** One line per binding that has no local stand-in: printed at start, never silent. */
  readonly notices: readonly string[]
}

const cache = new Map<string, Promise<WranglerBindings>>()

/** wrangler.toml's bindings as Miniflare worker options (cached per file). */
export function wranglerBindings(configPath = WRANGLER_CONFIG): Promise<WranglerBindings> {
  let found = cache.get(configPath)
  if (!found) {
    found = readWranglerBindings(configPath)
    cache.set(configPath, found)
  }
  return found
}

async function readWranglerBindings(configPath: string): Promise<WranglerBindings> {
  // wrangler must not phone home from a local run (GUIDE: metrics and cf fetch off).
  process.env.WRANGLER_SEND_METRICS ??= 'false'
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
  const { unstable_getMiniflareWorkerOptions } = await import('wrangler')
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath)
  const { modulesRules: _rules, ...worker } = workerOptions as WranglerWorker & { modulesRules?: unknown }
  const notices: string[] = []
  const raw = worker as Record<string, unknown>
  const remoteOnly = (name: string, kind: string) => notices.push(`binding ${name} (${kind}) exists only on Cloudflare: locally env.${name} is missing`)
  for (const kind of REMOTE_RECORDS) {
    for (const name of Object.keys((raw[kind] as object | undefined) ?? {})) remoteOnly(name, kind)
    delete raw[kind]
  }
  for (const kind of REMOTE_SINGLE) {
    const binding = (raw[kind] as { binding?: string } | undefined)?.binding
    if (binding) remoteOnly(binding, kind)
    delete raw[kind]
  }
  return { worker, notices }
}

/** Every binding name of a Worker's options — what its `env` will hold. */
export function bindingNames(worker: Partial<Record<string, unknown>>): string[] {
  const names: string[] = []
  for (const group of BINDING_GROUPS) {
    const value = worker[group]
    if (Array.isArray(value)) names.push(...value.map(String))
    else if (value && typeof value === 'object') names.push(...Object.keys(value))
  }
  return [...new Set(names)].sort()
}

/**
 * `--service NAME=http://host:port` → a service binding that sends the
 * Worker's `env.NAME.fetch()` to that address: the local stand-in for a
 * `[[services]]` binding to another Worker.
 */
export function parseServices(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const eq = item.indexOf('=')
    const name = item.slice(0, eq).trim()
    const target = item.slice(eq + 1).trim()
    let url: URL | undefined
    try {
      url = new URL(target)
    } catch {
      url = undefined
    }
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.host) {
      throw new UsageError(`--service expects NAME=http://host:port, got "${item}"`)
    }
    out[name] = url.origin
  }
  return out
}

type ServiceBinding = NonNullable<WorkerOptions['serviceBindings']>[string]

/** Miniflare's external-server binding for `http://host:port`. */
export function externalService(origin: string): ServiceBinding {
  const url = new URL(origin)
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  return { external: { address: `${url.hostname}:${port}`, ...(url.protocol === 'https:' ? { https: {} } : { http: {} }) } } as ServiceBinding
}

/**
 * wrangler's service bindings name other Workers, which do not run here:
 * each one needs `--service NAME=URL`; one notice per binding left without.
 */
export function serviceBindingsFor(worker: WranglerWorker, services: Readonly<Record<string, string>>): { bindings: Record<string, ServiceBinding>; notices: string[] } {
  const bindings: Record<string, ServiceBinding> = {}
  const notices: string[] = []
  for (const name of Object.keys(worker.serviceBindings ?? {})) {
    if (services[name]) continue
    // The binding still exists (parity with the deployed Worker); it answers 503 saying what to do.
    const hint = `service binding ${name} (wrangler.toml [[services]]) has no local target; give --service ${name}=http://host:port`
    notices.push(hint)
    bindings[name] = () => new MfResponse(`edgevoy: ${hint}\n`, { status: 503 })
  }
  for (const [name, origin] of Object.entries(services)) bindings[name] = externalService(origin)
  return { bindings, notices }
}
