/**
 * Zipkin v2 JSON spans, queued per isolate and sent after the response
 * (`ctx.waitUntil`): whichever request flushes carries every span queued so
 * far, so concurrent requests share one POST.
 * https://zipkin.io/zipkin-api/#/default/post_spans
 */
import type { Snapshot } from '../../compile/types.js'
import type { ZipkinConfig } from './config.js'

export interface ZipkinSpan {
  readonly traceId: string
  readonly id: string
  readonly parentId?: string
  readonly name: string
  readonly kind: 'SERVER' | 'CLIENT'
  /** Epoch microseconds. */
  readonly timestamp: number
  /** Microseconds. */
  readonly duration: number
  readonly localEndpoint: { readonly serviceName: string }
  readonly remoteEndpoint?: { readonly ipv4?: string; readonly port?: number; readonly serviceName?: string }
  readonly tags: Readonly<Record<string, string>>
  readonly debug?: boolean
  readonly shared?: boolean
}

/** Envoy's Zipkin driver also batches; a cap keeps one POST bounded. */
const MAX_BATCH = 100
/** Spans kept while the collector is unreachable; older ones are dropped. */
const MAX_QUEUED = 1000

export class ZipkinExporter {
  private readonly queue: ZipkinSpan[] = []
  /** Spans dropped because the queue was full or the collector failed. */
  dropped = 0

  constructor(private readonly fetcher: typeof fetch) {}

  add(span: ZipkinSpan): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift()
      this.dropped++
    }
    this.queue.push(span)
  }

  /** Sends every queued span to the collector in batches; never throws. */
  async flush(url: string, hostname: string | undefined): Promise<void> {
    for (let i = 0; i < MAX_QUEUED / MAX_BATCH && this.queue.length > 0; i++) {
      const batch = this.queue.splice(0, MAX_BATCH)
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (hostname) headers['x-forwarded-host'] = hostname
      try {
        const res = await this.fetcher(url, { method: 'POST', headers, body: JSON.stringify(batch) })
        await res.body?.cancel()
        if (!res.ok) this.dropped += batch.length
      } catch {
        this.dropped += batch.length
      }
    }
  }
}

/** The collector URL: the first host of `collector_cluster` plus `collector_endpoint`. */
export function collectorUrl(snapshot: Snapshot, config: ZipkinConfig): string | undefined {
  const host = snapshot.clusters.get(config.collectorCluster)?.hosts[0]
  if (!host) return undefined
  const path = config.collectorEndpoint.startsWith('/') ? config.collectorEndpoint : `/${config.collectorEndpoint}`
  return `${host.origin}${path}`
}

/** Zipkin wants an IP in ipv4; a hostname goes in serviceName. */
export function remoteEndpoint(address: string | undefined): ZipkinSpan['remoteEndpoint'] {
  if (!address) return undefined
  const i = address.lastIndexOf(':')
  const host = i > 0 ? address.slice(0, i) : address
  const port = i > 0 ? Number(address.slice(i + 1)) : undefined
  const ipv4 = /^\d+\.\d+\.\d+\.\d+$/.test(host)
  return { ...(ipv4 ? { ipv4: host } : { serviceName: host }), ...(port ? { port } : {}) }
}
