/**
 * A stand-in Kubernetes API server for the k8s-sync tests: a real HTTP server
 * on 127.0.0.1 that serves EndpointSlices (discovery.k8s.io/v1) the way the
 * API documents list and watch:
 *
 * - LIST `/apis/discovery.k8s.io/v1/namespaces/:ns/endpointslices?labelSelector=kubernetes.io/service-name=X`
 *   answers an EndpointSliceList whose metadata.resourceVersion is the store's current one.
 * - WATCH (same path, `watch=true&resourceVersion=RV`) streams, one JSON per line,
 *   every later change as ADDED/MODIFIED/DELETED with the object's new
 *   resourceVersion, and BOOKMARK events (object with only metadata.resourceVersion)
 *   when asked with `allowWatchBookmarks=true`. A resourceVersion older than
 *   the kept history gets a 200 with one `ERROR` event holding a Status
 *   `410 Expired` ("too old resource version"), as the API server does.
 * - `timeoutSeconds` ends the stream; a missing/wrong bearer token is 401; a
 *   namespace in `forbidden` is 403 with an RBAC-style message.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#watch-bookmarks
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#410-gone-responses
 */
import { createServer, type Server, type ServerResponse } from 'node:http'

export interface FakePod {
  readonly name: string
  readonly ip: string
  readonly ready?: boolean
  readonly terminating?: boolean
}

interface Slice {
  apiVersion: 'discovery.k8s.io/v1'
  kind: 'EndpointSlice'
  metadata: { name: string; namespace: string; resourceVersion: string; labels: Record<string, string> }
  addressType: 'IPv4'
  endpoints: { addresses: string[]; conditions: { ready: boolean; serving: boolean; terminating: boolean }; targetRef: { kind: 'Pod'; name: string } }[]
  ports: { name: string; port: number; protocol: 'TCP' }[]
}

interface StoredEvent {
  readonly rv: number
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'
  readonly object: Slice
}

interface Watcher {
  readonly namespace: string
  readonly service: string
  readonly bookmarks: boolean
  readonly res: ServerResponse
}

const SERVICE_LABEL = 'kubernetes.io/service-name'

export class FakeKubeApi {
  readonly token: string
  /** Namespaces whose endpointslices the token may not read (403). */
  readonly forbidden = new Set<string>()
  /** What clients asked for, to check the protocol was followed. */
  readonly requests: { kind: 'list' | 'watch'; service: string; resourceVersion?: string; bookmarks?: boolean; status: number }[] = []
  port = 0
  #rv = 1000
  #slices = new Map<string, Slice>() // ns/name
  #events: StoredEvent[] = []
  /** Events at or below this resourceVersion are gone (compacted): watching from older is 410. */
  #oldestKept = 0
  #watchers = new Set<Watcher>()
  #server: Server | undefined

  constructor(token = 'kube-token') {
    this.token = token
  }

  async start(port = 0): Promise<number> {
    const server = createServer((req, res) => this.#handle(req.url ?? '/', req.headers.authorization, res))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    this.#server = server
    this.port = (server.address() as { port: number }).port
    return this.port
  }

  /** Stop serving: open watches are cut, new connections refused until start() again. */
  async stop(): Promise<void> {
    for (const w of this.#watchers) w.res.destroy()
    this.#watchers.clear()
    const server = this.#server
    this.#server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }

  /**
   * A restart that loses the watch cache: history is compacted (old
   * resourceVersions answer 410) and the server is down for `downMs`.
   */
  async restart(downMs = 300, during?: () => void): Promise<void> {
    await this.stop()
    during?.()
    this.compact()
    await new Promise((r) => setTimeout(r, downMs))
    await this.start(this.port)
  }

  get resourceVersion(): string {
    return String(this.#rv)
  }

  /** The Service's one slice now lists exactly these pods (ADDED the first time, then MODIFIED). */
  setPods(namespace: string, service: string, port: { name: string; port: number }, pods: readonly FakePod[]): void {
    const name = `${service}-abc12`
    const key = `${namespace}/${name}`
    const existed = this.#slices.has(key)
    const slice: Slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace, resourceVersion: String(++this.#rv), labels: { [SERVICE_LABEL]: service } },
      addressType: 'IPv4',
      endpoints: pods.map((p) => ({
        addresses: [p.ip],
        // A terminating pod: ready is false, serving follows its readiness (KEP-1672).
        conditions: { ready: (p.ready ?? true) && !p.terminating, serving: p.ready ?? true, terminating: p.terminating ?? false },
        targetRef: { kind: 'Pod', name: p.name },
      })),
      ports: [{ ...port, protocol: 'TCP' }],
    }
    this.#slices.set(key, slice)
    this.#emit({ rv: this.#rv, type: existed ? 'MODIFIED' : 'ADDED', object: slice })
  }

  deleteSlices(namespace: string, service: string): void {
    for (const [key, slice] of this.#slices) {
      if (slice.metadata.namespace !== namespace || slice.metadata.labels[SERVICE_LABEL] !== service) continue
      this.#slices.delete(key)
      const gone = { ...slice, metadata: { ...slice.metadata, resourceVersion: String(++this.#rv) } }
      this.#emit({ rv: this.#rv, type: 'DELETED', object: gone })
    }
  }

  /** Forget the history so far: watches from any resourceVersion up to now answer 410. */
  compact(): void {
    this.#oldestKept = this.#rv
    this.#events = []
  }

  /** End every open watch cleanly (as the API server does at timeoutSeconds or on shutdown). */
  closeWatches(): void {
    for (const w of this.#watchers) w.res.end()
    this.#watchers.clear()
  }

  /** Send a BOOKMARK with the current resourceVersion to every watch that allowed bookmarks. */
  bookmark(): void {
    for (const w of this.#watchers)
      if (w.bookmarks) w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: String(this.#rv) } } })}\n`)
  }

  /** An unrelated change elsewhere: moves the resourceVersion on without touching the watched Services. */
  touchOther(): void {
    this.setPods('other', `unrelated-${this.#rv}`, { name: 'http', port: 80 }, [])
  }

  #emit(event: StoredEvent): void {
    this.#events.push(event)
    for (const w of this.#watchers) if (matches(w, event.object)) w.res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`)
  }

  #handle(rawUrl: string, authorization: string | undefined, res: ServerResponse): void {
    const url = new URL(rawUrl, 'http://x')
    const m = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/.exec(url.pathname)
    if (authorization !== `Bearer ${this.token}`) return status(res, 401, 'Unauthorized', 'Unauthorized')
    if (!m) return status(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`)
    const namespace = decodeURIComponent(m[1]!)
    const selector = url.searchParams.get('labelSelector') ?? ''
    const service = selector.startsWith(`${SERVICE_LABEL}=`) ? selector.slice(SERVICE_LABEL.length + 1) : ''
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'
    const rv = url.searchParams.get('resourceVersion') ?? undefined
    const record = (s: number) => this.requests.push({ kind: watch ? 'watch' : 'list', service, ...(rv !== undefined ? { resourceVersion: rv } : {}), ...(watch ? { bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true' } : {}), status: s })
    if (this.forbidden.has(namespace)) {
      record(403)
      return status(res, 403, 'Forbidden', `endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:${namespace}:edgevoy-k8s-sync" cannot ${watch ? 'watch' : 'list'} resource "endpointslices" in API group "discovery.k8s.io" in the namespace "${namespace}"`)
    }
    if (!watch) {
      record(200)
      const items = [...this.#slices.values()].filter((s) => matches({ namespace, service }, s))
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: String(this.#rv) }, items }))
    }
    record(200)
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    const from = Number(rv ?? 0)
    if (rv !== undefined && rv !== '' && rv !== '0' && from < this.#oldestKept) {
      res.write(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${this.#oldestKept})`, reason: 'Expired', code: 410 } })}\n`)
      return void res.end()
    }
    const watcher: Watcher = { namespace, service, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true', res }
    for (const e of this.#events) if (e.rv > from && matches(watcher, e.object)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`)
    this.#watchers.add(watcher)
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0)
    const timer = timeout > 0 ? setTimeout(() => (this.#watchers.delete(watcher), res.end()), timeout * 1000) : undefined
    res.on('close', () => (clearTimeout(timer), this.#watchers.delete(watcher)))
  }
}

const matches = (w: { namespace: string; service: string }, s: Slice) => s.metadata.namespace === w.namespace && (w.service === '' || s.metadata.labels[SERVICE_LABEL] === w.service)

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }))
}

/** A kubeconfig pointing at the stand-in (plain http on 127.0.0.1, bearer token). */
export function kubeconfigFor(api: FakeKubeApi, namespace = 'mesh'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'current-context: test',
    'clusters:',
    `- name: stand-in`,
    `  cluster: { server: "http://127.0.0.1:${api.port}" }`,
    'users:',
    `- name: sync`,
    `  user: { token: ${api.token} }`,
    'contexts:',
    `- name: test`,
    `  context: { cluster: stand-in, user: sync, namespace: ${namespace} }`,
    '',
  ].join('\n')
}
