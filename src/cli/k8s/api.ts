/**
 * Just enough of a Kubernetes API client for k8s-sync: a GET that returns
 * the JSON body, and a watch that hands over one JSON event per line as the
 * server streams them. node:http(s) rather than fetch, because the cluster's
 * CA must be trusted per request (fetch has no `ca` option without undici).
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { KubeTarget } from './kubeconfig.js'

/** A non-2xx answer: the API server's `Status` object when it sent one. */
export class KubeApiError extends Error {
  override name = 'KubeApiError'
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message)
  }
}

export interface KubeClient {
  readonly target: KubeTarget
  /** GET a path; resolves with the parsed JSON, rejects with KubeApiError on non-2xx. */
  getJson(path: string, signal?: AbortSignal): Promise<unknown>
  /**
   * GET a watch path and call `onEvent` for each line (a parsed JSON object).
   * Resolves when the server ends the stream; rejects on a non-2xx answer
   * (KubeApiError), a connection error, or abort.
   */
  watch(path: string, onEvent: (event: unknown) => void, signal?: AbortSignal, idleTimeoutMs?: number): Promise<void>
}

export function kubeClient(target: KubeTarget): KubeClient {
  const open = (path: string, signal?: AbortSignal, idleTimeoutMs?: number) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const url = new URL(target.server + path)
      const token = target.token()
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'edgevoy-k8s-sync' }
      if (token) headers.authorization = `Bearer ${token}`
      const options = { method: 'GET', headers, ...(signal ? { signal } : {}) }
      const req =
        url.protocol === 'https:'
          ? httpsRequest(url, { ...options, ...(target.ca ? { ca: target.ca } : {}), rejectUnauthorized: !target.insecureSkipTlsVerify })
          : httpRequest(url, options)
      req.once('response', resolve)
      req.once('error', reject)
      // A connection that died without a FIN never ends the stream: give up after this much silence.
      if (idleTimeoutMs) req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`no data from the API server for ${idleTimeoutMs / 1000} s`)))
      req.end()
    })

  const failure = async (res: IncomingMessage): Promise<KubeApiError> => {
    let text = ''
    for await (const chunk of res) text += chunk
    let reason = ''
    let message = text.trim().slice(0, 500) || `HTTP ${res.statusCode}`
    try {
      const status = JSON.parse(text) as { reason?: string; message?: string }
      reason = status.reason ?? ''
      message = status.message ?? message
    } catch {
      /* not a Status object */
    }
    return new KubeApiError(res.statusCode ?? 0, reason, message)
  }

  return {
    target,
    async getJson(path, signal) {
      const res = await open(path, signal)
      if ((res.statusCode ?? 0) >= 300) throw await failure(res)
      let text = ''
      for await (const chunk of res) text += chunk
      return JSON.parse(text) as unknown
    },
    async watch(path, onEvent, signal, idleTimeoutMs) {
      const res = await open(path, signal, idleTimeoutMs)
      if ((res.statusCode ?? 0) >= 300) throw await failure(res)
      res.setEncoding('utf8')
      let buffered = ''
      // Each watch event is one JSON object on its own line (the API server flushes after each).
      for await (const chunk of res as AsyncIterable<string>) {
        buffered += chunk
        let nl: number
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim()
          buffered = buffered.slice(nl + 1)
          if (line !== '') onEvent(JSON.parse(line))
        }
      }
      if (buffered.trim() !== '') onEvent(JSON.parse(buffered))
    },
  }
}
