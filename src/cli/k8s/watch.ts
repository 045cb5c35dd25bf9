/**
 * The list-then-watch loop (what client-go's reflector does) for the
 * EndpointSlices of one Service:
 *
 * 1. LIST with the label `kubernetes.io/service-name=<service>`; the list's
 *    `metadata.resourceVersion` is where the watch starts.
 * 2. WATCH from that resourceVersion with `allowWatchBookmarks=true`; apply
 *    ADDED/MODIFIED/DELETED in order and remember each object's
 *    resourceVersion; a BOOKMARK only moves the resourceVersion forward, so a
 *    reconnect resumes from there and not from an older, compacted one.
 * 3. The server ending the stream (its timeout, a restart) → watch again from
 *    the last resourceVersion. `410 Gone` (as the HTTP status or as an ERROR
 *    event) means that version is compacted away → LIST again, which replaces
 *    the whole set, so nothing that happened meanwhile is lost.
 * 4. Connection errors and 5xx → back off exponentially (with jitter), reset
 *    once a watch is established. 401/403 are fatal: retrying cannot fix RBAC.
 *
 * `onChange` gets the full set of slices after every change; the caller diffs.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#watch-bookmarks
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#410-gone-responses
 */
import { KubeApiError, type KubeClient } from './api.js'
import type { EndpointSlice } from './endpoints.js'

export interface SliceWatchOptions {
  readonly client: KubeClient
  readonly namespace: string
  readonly service: string
  /** The whole current set of the Service's slices, after the first list and after every change. */
  readonly onChange: (slices: ReadonlyMap<string, EndpointSlice>) => void
  readonly log: (line: string) => void
  readonly signal: AbortSignal
  /** First back-off after a failure (doubles up to maxBackoffMs). */
  readonly initialBackoffMs?: number
  readonly maxBackoffMs?: number
  /** Asked of the server per watch (it closes the stream after about this long). */
  readonly watchTimeoutSeconds?: number
  readonly random?: () => number
}

/** Why the loop stopped for good: RBAC refused, or the token is not accepted. */
export class WatchFatalError extends Error {
  override name = 'WatchFatalError'
}

interface WatchEvent {
  type?: string
  object?: { kind?: string; code?: number; reason?: string; message?: string; metadata?: { name?: string; resourceVersion?: string } }
}

const SERVICE_LABEL = 'kubernetes.io/service-name'
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
  })

/** Runs until `signal` aborts (resolves) or a fatal error (rejects with WatchFatalError). */
export async function watchEndpointSlices(o: SliceWatchOptions): Promise<void> {
  const base = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(o.namespace)}/endpointslices`
  const selector = `labelSelector=${encodeURIComponent(`${SERVICE_LABEL}=${o.service}`)}`
  const what = `endpointslices of ${o.namespace}/${o.service}`
  const initial = o.initialBackoffMs ?? 500
  const max = o.maxBackoffMs ?? 30_000
  const random = o.random ?? Math.random
  let backoff = initial
  const pause = async (why: string) => {
    const ms = Math.round(backoff * (0.5 + random() / 2))
    o.log(`${what}: ${why}; retrying in ${ms} ms`)
    await sleep(ms, o.signal)
    backoff = Math.min(backoff * 2, max)
  }
  const fatal = (e: unknown): never => {
    const err = e as KubeApiError
    const verb = err.status === 403 ? 'forbidden (403)' : 'unauthorized (401)'
    throw new WatchFatalError(
      `the API server answered ${verb} for ${what}: ${err.message}. k8s-sync needs get, list and watch on discovery.k8s.io endpointslices in namespace "${o.namespace}" (deploy/kubernetes/xds/k8s-sync-rbac.yaml)`,
    )
  }
  const isFatal = (e: unknown) => e instanceof KubeApiError && (e.status === 401 || e.status === 403)

  let slices = new Map<string, EndpointSlice>()
  let resourceVersion: string | undefined // undefined → list first

  while (!o.signal.aborted) {
    if (resourceVersion === undefined) {
      try {
        const list = (await o.client.getJson(`${base}?${selector}`, o.signal)) as { metadata?: { resourceVersion?: string }; items?: EndpointSlice[] }
        slices = new Map((list.items ?? []).map((s) => [s.metadata?.name ?? '', s]))
        resourceVersion = list.metadata?.resourceVersion ?? ''
        backoff = initial
        o.onChange(slices)
      } catch (e) {
        if (o.signal.aborted) return
        if (isFatal(e)) fatal(e)
        await pause(`list failed: ${e instanceof Error ? e.message : String(e)}`)
        continue
      }
    }
    let gone = false
    let events = 0
    const started = Date.now()
    try {
      const query = `${selector}&watch=true&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}&timeoutSeconds=${o.watchTimeoutSeconds ?? 300}`
      await o.client.watch(`${base}?${query}`, (raw) => {
        const event = raw as WatchEvent
        const object = event.object
        if (event.type === 'ERROR') {
          // A Status: 410 Gone = "too old resource version"; anything else ends this watch.
          if (object?.code === 410) gone = true
          throw new KubeApiError(object?.code ?? 500, object?.reason ?? '', object?.message ?? 'watch error')
        }
        events++
        backoff = initial // events flow: the connection is healthy
        const rv = object?.metadata?.resourceVersion
        if (rv) resourceVersion = rv
        if (event.type === 'BOOKMARK') return
        const name = object?.metadata?.name ?? ''
        if (event.type === 'DELETED') slices.delete(name)
        else if (event.type === 'ADDED' || event.type === 'MODIFIED') slices.set(name, object as EndpointSlice)
        else return
        o.onChange(slices)
      }, o.signal, ((o.watchTimeoutSeconds ?? 300) + 60) * 1000)
      // The server closed the stream (timeoutSeconds, restart): resume from the last resourceVersion,
      // at once, unless it keeps closing immediately (then back off, not spin).
      if (events === 0 && Date.now() - started < 1000) await pause('the watch closed at once')
    } catch (e) {
      if (o.signal.aborted) return
      if (gone || (e instanceof KubeApiError && e.status === 410)) {
        o.log(`${what}: resourceVersion ${resourceVersion} is gone (410); listing again`)
        resourceVersion = undefined
        // A 410 right after a fresh list would otherwise loop list → watch → 410 without pause.
        if (events === 0 && Date.now() - started < 1000) await pause('410 on a fresh watch')
        continue
      }
      if (isFatal(e)) fatal(e)
      await pause(`watch failed: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
}
