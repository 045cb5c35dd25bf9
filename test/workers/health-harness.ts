/**
 * Builds a listener app from an Envoy v3 config (as JSON) with its own
 * ClusterManager, so a test file owns its upstream state, and sends requests
 * through it with a real ExecutionContext and the real HEALTH Durable Object.
 */
import { createExecutionContext, env } from 'cloudflare:test'
import { compileConfig } from '../../src/compile'
import type { Snapshot } from '../../src/compile/types'
import { loadConfig } from '../../src/config/load'
import { buildListenerApp } from '../../src/router/app'
import { ClusterManager, type ClusterManagerDeps } from '../../src/upstream/cluster-manager'
import { bootstrap } from '../support/envoy-config'
import type { EchoBody } from '../support/upstream-types'

export interface Endpoint {
  port: number
  priority?: number
  /** EDS health_status. */
  health_status?: string
}

export interface ClusterSpec {
  name: string
  endpoints: Endpoint[]
  extra?: Record<string, unknown>
}

export interface RouteSpec {
  timeout?: string
  retry_policy?: Record<string, unknown>
}

/** One cluster behind one route `/` on listener `edge` (stat_prefix `edge`), as JSON. */
export function envoyConfig(cluster: ClusterSpec, route: RouteSpec = {}): string {
  return JSON.stringify(
    bootstrap({
      listener: { name: 'edge' },
      hcm: { stat_prefix: 'edge' },
      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: cluster.name, ...route } }] }],
      clusters: { [cluster.name]: { endpoints: cluster.endpoints, ...cluster.extra } },
    }),
  )
}

export interface Proxy {
  readonly snapshot: Snapshot
  readonly clusters: ClusterManager
  fetch(path: string, init?: RequestInit): Promise<Response>
}

export function proxyFor(configJson: string, options: { health?: boolean; clusterDeps?: Partial<ClusterManagerDeps> } = {}): Proxy {
  const loaded = loadConfig(configJson)
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors, null, 2))
  const snapshot = compileConfig(loaded.config)
  const clusters = new ClusterManager({ random: Math.random, now: Date.now, ...options.clusterDeps })
  const app = buildListenerApp(snapshot, snapshot.listeners[0]!, {
    fetch: (input, init) => fetch(input, init),
    bindings: {},
    clusters,
    random: Math.random,
    now: Date.now,
  })
  const workerEnv = options.health ? { HEALTH: (env as { HEALTH: DurableObjectNamespace }).HEALTH } : {}
  return {
    snapshot,
    clusters,
    fetch: async (path, init) => app.fetch(new Request(`http://edge.test${path}`, init), workerEnv, createExecutionContext()),
  }
}

/** The echo body's upstream id, or the status for non-echo answers. */
export async function answeredBy(res: Response): Promise<string> {
  if (res.status !== 200) {
    await res.body?.cancel()
    return `status:${res.status}`
  }
  return ((await res.json()) as EchoBody).id
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
