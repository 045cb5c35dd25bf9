/**
 * `edgevoy dev -c FILE` — serve one listener of a config locally, in workerd
 * through Miniflare, exactly as the deployed Worker would run it.
 */
import { join } from 'node:path'
import { formatIssue } from '../config/issues.js'
import { parseFlags, parsePort, parseResolve, printHelp, UsageError } from './args.js'
import { readConfig, reportErrors } from './read-config.js'
import { LOCAL_HOST, portsInUse } from './ports.js'
import { findAdminToken } from './dev-vars.js'
import { hasLds } from './k8s/dynamic.js'
import { parseServices, serviceBindingsFor, wranglerBindings } from './wrangler-bindings.js'
import { shadowNotice, storedVersion, watchFile } from './dev-watch.js'

const HELP = `Usage: edgevoy dev -c FILE [--port N] [--listener NAME] [options]

Serve one listener of an Envoy config on 127.0.0.1, in workerd (Miniflare),
with one log line per proxied request. Ctrl-C or SIGTERM stops it.

Options:
  -c, --config FILE        the Envoy config (YAML or JSON)
  -p, --port N             local port (default 8080), whatever port the listener names
  -l, --listener NAME      which listener to serve (default: the first); with REST
                           dynamic_resources, the LDS listener to serve once it arrives
                           (the control plane's token from $XDS_TOKEN)
  --resolve HOST=IP[:PORT] resolve an endpoint hostname locally (repeatable, or
                           comma-separated); a name given twice becomes two hosts,
                           as with STRICT_DNS. Without a port, the config's port is kept.
  --admin-token T          admin API token (else $ADMIN_TOKEN, else ADMIN_TOKEN in .dev.vars)
  --service NAME=URL       where a service binding of wrangler.toml goes locally
                           (e.g. API=http://127.0.0.1:9000; repeatable)
  --persist                keep KV/Durable Object state in .edgevoy/state across runs
                           (says so when stored admin versions shadow the file)
  -w, --watch              apply edits of the config file to the running server;
                           a broken edit is reported and the last good config serves

Bindings, Durable Objects and compatibility settings come from wrangler.toml,
as for the deployed Worker.
  -h, --help               this help
`

export async function runDev(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string', short: 'c' },
    port: { type: 'string', short: 'p' },
    listener: { type: 'string', short: 'l' },
    resolve: { type: 'string', multiple: true },
    'admin-token': { type: 'string' },
    persist: { type: 'boolean' },
    watch: { type: 'boolean', short: 'w' },
    service: { type: 'string', multiple: true },
  })
  if (values.help) return printHelp(HELP)
  if (!values.config) throw new UsageError('missing -c FILE (see edgevoy dev --help)')
  const port = parsePort(values.port, '--port', 8080)
  const resolve = parseResolve(values.resolve ?? [])
  const services = parseServices(values.service ?? [])

  const result = readConfig(values.config, resolve)
  if (!result.ok) return reportErrors(result)
  for (const w of result.warnings) process.stderr.write(`${formatIssue(w, values.config)}\n`)

  const listeners = result.snapshot.listeners
  // A bootstrap with REST dynamic_resources gets its listeners over LDS: --listener names the one to serve (503 until it arrives).
  const dynamic = values.listener !== undefined && hasLds(result.text) && !listeners.some((l) => l.name === values.listener)
  const listener = dynamic ? { name: values.listener! } : values.listener ? listeners.find((l) => l.name === values.listener) : listeners[0]
  if (!listener) {
    const names = listeners.map((l) => `"${l.name}"`).join(', ')
    throw new UsageError(values.listener ? `no listener "${values.listener}" in ${values.config}; it has ${names || 'none'}` : `${values.config} has no listeners`)
  }

  // Compose/Kubernetes service names (no dot) will not resolve on this machine: say how to map them.
  const unresolved = new Set([...result.snapshot.clusters.values()].flatMap((c) => c.hosts.map((h) => h.hostname)).filter((h) => !h.includes('.') && !h.includes(':') && h !== 'localhost' && !Object.hasOwn(resolve, h)))
  for (const host of unresolved) process.stderr.write(`edgevoy: hint: "${host}" looks like a docker-compose name; map it with --resolve ${host}=127.0.0.1[:PORT]\n`)

  const taken = await portsInUse([port])
  if (taken.length) throw new Error(`${taken[0]}; pick another with --port`)

  // Loaded only now: a bad config or a busy port is reported without loading Miniflare.
  const [{ bundleWorker }, { listenerWorker, miniflareOptions }, { startMiniflare, StopSignal }] = await Promise.all([
    import('./bundle.js'),
    import('./miniflare-options.js'),
    import('./runtime.js'),
  ])
  const stop = new StopSignal()
  const [bundle, wrangler] = await Promise.all([bundleWorker(), wranglerBindings()])
  for (const notice of [...wrangler.notices, ...serviceBindingsFor(wrangler.worker, services).notices]) process.stderr.write(`edgevoy: notice: ${notice}\n`)
  const admin = findAdminToken(values['admin-token'])
  const optionsFor = (configText: string, listenerName: string) =>
    miniflareOptions({
      workers: [
        listenerWorker(bundle, wrangler.worker, {
          name: 'edgevoy', configText, listener: listenerName, port, resolve, adminToken: admin?.token, services,
          // The control plane's bearer token (docs/xds.md), as the deployed Worker's XDS_TOKEN secret.
          ...(process.env.XDS_TOKEN ? { xdsToken: process.env.XDS_TOKEN } : {}),
        }),
      ],
      onLine: (line, _tag, stream) => (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`),
      persistDir: values.persist ? join(process.cwd(), '.edgevoy/state') : undefined,
    })
  const mf = await startMiniflare(optionsFor(result.text, listener.name), [port], stop)
  const file = values.config
  const checkShadow = async () => {
    const version = admin ? await storedVersion(port, admin.token) : undefined
    if (version) process.stderr.write(`${shadowNotice(version, file)}\n`)
  }

  const index = dynamic ? 0 : listeners.indexOf(listener as (typeof listeners)[number])
  const several = !dynamic && listeners.length > 1 ? ` (${index === 0 ? 'first' : `#${index + 1}`} of ${listeners.length} listeners; pick another with --listener)` : ''
  process.stdout.write(`edgevoy: listener "${listener.name}" serving on http://${LOCAL_HOST}:${port}${several}\n`)
  if (admin) process.stdout.write(`edgevoy: admin API on http://${LOCAL_HOST}:${port}/__admin (token from ${admin.source})\n`)
  if (values.persist) await checkShadow()

  let unwatch = () => {}
  if (values.watch) {
    let applying = Promise.resolve()
    const apply = async () => {
      const next = readConfig(file, resolve)
      if (!next.ok) {
        for (const line of next.errors) process.stderr.write(`${line}\n`)
        process.stderr.write(`edgevoy: ${file}: ${next.errors.length} error${next.errors.length === 1 ? '' : 's'}; still serving the last good config\n`)
        return
      }
      const name = next.snapshot.listeners.some((l) => l.name === listener.name) ? listener.name : values.listener ? undefined : next.snapshot.listeners[0]?.name
      if (!name) {
        process.stderr.write(`edgevoy: ${file}: no listener "${listener.name}" any more; still serving the last good config\n`)
        return
      }
      for (const w of next.warnings) process.stderr.write(`${formatIssue(w, file)}\n`)
      await mf.setOptions(optionsFor(next.text, name))
      process.stdout.write(`edgevoy: ${file} changed: applied, listener "${name}" serving on http://${LOCAL_HOST}:${port}\n`)
      await checkShadow()
    }
    // One apply at a time, in order of the edits.
    unwatch = watchFile(file, () => (applying = applying.then(apply).catch((e) => void process.stderr.write(`edgevoy: applying ${file} failed: ${e instanceof Error ? e.message : String(e)}\n`))))
    process.stdout.write(`edgevoy: watching ${file} for changes\n`)
  }

  const signal = await stop.promise
  process.stdout.write(`edgevoy: ${signal}, stopping\n`)
  unwatch()
  await mf.dispose()
  return 0
}
