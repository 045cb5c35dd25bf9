/** Compiled `Host`/`Cluster` values for tests that do not go through the config compiler. */
import type { Cluster, Host, LbPolicy } from '../../src/compile/types'

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
    extensions: {},
    hash: name,
  }
}

/** A seeded PRNG (mulberry32) in [0, 1), so "random" tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
