/** Compiled `Host`/`Cluster` values for tests that do not go through the config compiler. */
import type { Cluster, Host, LbPolicy } from '../../src/compile/types'
import { lowerLbConfig } from '../../src/compile/clusters'
import { DEFAULT_CLUSTER_LB } from '../../src/compile/ir'

export function testHost(options: { port: number; hostname?: string; weight?: number; binding?: string; tls?: boolean }): Host {
  const hostname = options.hostname ?? '127.0.0.1'
  return {
    address: `${hostname}:${options.port}`,
    hostname,
    port: options.port,
    origin: `${options.tls ? 'https' : 'http'}://${hostname}:${options.port}`,
    weight: options.weight ?? 1,
    priority: 0,
    locality: {},
    localityWeight: undefined,
    configuredHealth: 'UNKNOWN',
    binding: options.binding,
    metadata: {},
  }
}

export function testCluster(name: string, hosts: readonly Host[], lbPolicy: LbPolicy = 'ROUND_ROBIN'): Cluster {
  return {
    name,
    type: 'STATIC',
    lbPolicy,
    hosts,
    connectTimeoutMs: 250,
    tls: false,
    resilience: { healthChecks: [], outlier: undefined, circuitBreakers: { maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, retryBudget: undefined }, healthyPanicThreshold: 50, overprovisioningFactor: 1.4 },
    lb: DEFAULT_CLUSTER_LB,
    hash: name,
  }
}

/** The cluster with its load-balancer settings compiled from raw Envoy fields (`ring_hash_lb_config`, `metadata`, …). */
export function withLbConfig(cluster: Cluster, raw: Record<string, unknown>): Cluster {
  return { ...cluster, lb: lowerLbConfig(raw as Parameters<typeof lowerLbConfig>[0]) }
}

/** A seeded PRNG (mulberry32) in [0, 1), so "random" tests are reproducible. */
export { seededRandom } from './seeded-random'
