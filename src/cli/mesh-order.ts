/**
 * The order `npm start` opens the mesh's hops in: a hop opens only once every
 * hop it forwards to answers, so the front proxy (:8080) opens last and the
 * first curl that connects gets the mesh's answer, not a 503 from a sidecar
 * that is still starting (issue 15).
 */
import type { MeshPlan, PlannedProxy } from './mesh-plan.js'

/**
 * Proxies in waves: each wave forwards only to services and to proxies of
 * earlier waves. Proxies caught in a cycle (none in the article's mesh) go
 * together in a last wave.
 */
export function startWaves(plan: Pick<MeshPlan, 'proxies'>): PlannedProxy[][] {
  const owner = new Map<number, PlannedProxy>()
  for (const p of plan.proxies) for (const l of p.listeners) owner.set(l.port, p)
  const deps = new Map(plan.proxies.map((p) => [p, new Set(upstreamHops(p, owner).map((h) => h.proxy))]))
  const waves: PlannedProxy[][] = []
  const started = new Set<PlannedProxy>()
  while (started.size < plan.proxies.length) {
    const ready = plan.proxies.filter((p) => !started.has(p) && [...deps.get(p)!].every((d) => d === p || started.has(d)))
    const wave = ready.length ? ready : plan.proxies.filter((p) => !started.has(p))
    for (const p of wave) started.add(p)
    waves.push(wave)
  }
  return waves
}

export interface UpstreamHop {
  readonly proxy: PlannedProxy
  /** `http://127.0.0.1:8786`: where the dependent proxy's cluster sends requests. */
  readonly origin: string
  /** `service_a_envoy:8786`, for messages. */
  readonly label: string
}

/** The other proxies' listeners that `p`'s clusters forward to. */
export function upstreamHops(p: PlannedProxy, owner: ReadonlyMap<number, PlannedProxy>): UpstreamHop[] {
  const hops = new Map<string, UpstreamHop>()
  for (const cluster of p.snapshot.clusters.values()) {
    for (const h of cluster.hosts) {
      const port = Number(h.address.slice(h.address.lastIndexOf(':') + 1))
      const proxy = /^(127\.|localhost)/.test(h.address) ? owner.get(port) : undefined
      if (proxy && proxy !== p) hops.set(h.origin, { proxy, origin: h.origin, label: `${proxy.name}:${port}` })
    }
  }
  return [...hops.values()]
}

/** The hops each proxy of `wave` forwards to. */
export function hopsOf(wave: readonly PlannedProxy[], plan: Pick<MeshPlan, 'proxies'>): UpstreamHop[] {
  const owner = new Map<number, PlannedProxy>()
  for (const p of plan.proxies) for (const l of p.listeners) owner.set(l.port, p)
  const all = new Map<string, UpstreamHop>()
  for (const p of wave) for (const h of upstreamHops(p, owner)) all.set(h.origin, h)
  return [...all.values()]
}

/** The request id of readiness probes, so their log lines say what they are. */
export const PROBE_REQUEST_ID = 'edgevoy-start-readiness-probe'

/**
 * GET / on each hop until it answers below 500 (its own upstreams reached),
 * or `timeoutMs` passes. Resolves with the hops that never did, and why.
 */
export async function probeHops(hops: readonly UpstreamHop[], timeoutMs = 10_000): Promise<string[]> {
  const failures = await Promise.all(
    hops.map(async (hop) => {
      const deadline = Date.now() + timeoutMs
      let last = 'no answer'
      for (;;) {
        try {
          const res = await fetch(`${hop.origin}/`, { headers: { 'x-request-id': PROBE_REQUEST_ID }, signal: AbortSignal.timeout(Math.max(500, deadline - Date.now())) })
          await res.arrayBuffer() // read to the end: a cancelled body makes workerd log a broken pipe
          if (res.status < 500) return undefined
          last = `answered ${res.status}`
        } catch (e) {
          last = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)
        }
        if (Date.now() >= deadline) return `${hop.label} (${hop.origin}) did not answer within ${timeoutMs / 1000} s: ${last}`
        await new Promise((r) => setTimeout(r, 200))
      }
    }),
  )
  return failures.filter((f): f is string => f !== undefined)
}
