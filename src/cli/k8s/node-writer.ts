/**
 * Writing endpoints into a node config through edgevoy's admin API, safely
 * against other writers (an operator, another k8s-sync): read the config and
 * its version (ETag), change only the named clusters' load_assignment, and
 * PUT it back with `If-Match: "<version>"`. A 412 means someone else wrote in
 * between: read again and redo the change on top of theirs — so no update is
 * lost, and nothing is written when the config already lists these hosts.
 * docs/xds.md (PUT /nodes/:node/config), RFC 9110 §13.1.1 (If-Match).
 */
import type { PodEndpoint } from './endpoints.js'
import { currentEndpoints, sameEndpoints, withEndpoints } from './targets.js'

export interface NodeAdmin {
  /** The admin API's base URL, e.g. https://edge.example.com/__admin */
  readonly base: string
  readonly token: string
}

export interface NodeRead {
  readonly version: number
  readonly json: unknown
}

export interface WriteOutcome {
  /** The version now stored; unchanged when nothing needed writing. */
  readonly version: number
  readonly wrote: boolean
  /** How many 412s were answered by re-reading. */
  readonly conflicts: number
}

/** A failure talking to the admin API (status 0 = no answer). */
export class AdminApiError extends Error {
  override name = 'AdminApiError'
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const nodeUrl = (admin: NodeAdmin, node: string) => `${admin.base}/nodes/${encodeURIComponent(node)}/config`
const auth = (admin: NodeAdmin) => ({ authorization: `Bearer ${admin.token}` })

async function call(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
  } catch (e) {
    throw new AdminApiError(0, `${init.method ?? 'GET'} ${url}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

export async function readNode(admin: NodeAdmin, node: string): Promise<NodeRead> {
  const res = await call(nodeUrl(admin, node), { headers: auth(admin) })
  if (!res.ok) throw new AdminApiError(res.status, `GET ${nodeUrl(admin, node)}: ${res.status} ${(await res.text()).slice(0, 300)}`)
  const etag = res.headers.get('etag') ?? ''
  return { version: Number(etag.replaceAll('"', '')), json: await res.json() }
}

/**
 * Make each named cluster of `node` list exactly its desired endpoints.
 * Retries 412s up to `maxConflicts` times (each with a fresh read).
 */
export async function writeNodeEndpoints(admin: NodeAdmin, node: string, desired: ReadonlyMap<string, readonly PodEndpoint[]>, maxConflicts = 20): Promise<WriteOutcome> {
  for (let conflicts = 0; ; conflicts++) {
    const current = await readNode(admin, node)
    let next = current.json
    for (const [cluster, endpoints] of desired) {
      const now = currentEndpoints(next, cluster)
      if (now === undefined) throw new AdminApiError(404, `node "${node}" has no cluster "${cluster}" any more`)
      if (!sameEndpoints(now, endpoints)) next = withEndpoints(next, cluster, endpoints)
    }
    if (next === current.json) return { version: current.version, wrote: false, conflicts }
    const res = await call(nodeUrl(admin, node), {
      method: 'PUT',
      headers: { ...auth(admin), 'content-type': 'application/json', 'if-match': `"${current.version}"` },
      body: JSON.stringify(next),
    })
    if (res.status === 412 && conflicts < maxConflicts) {
      await res.body?.cancel()
      await new Promise((r) => setTimeout(r, Math.random() * 20 * (conflicts + 1)))
      continue
    }
    if (!res.ok) throw new AdminApiError(res.status, `PUT ${nodeUrl(admin, node)}: ${res.status} ${(await res.text()).slice(0, 500)}`)
    const { version } = (await res.json()) as { version: number }
    return { version, wrote: true, conflicts }
  }
}
