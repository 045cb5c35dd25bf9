/**
 * The health authority's Durable Object class, as the Worker entry must
 * export it: a thin shell that imports its core (state/health-authority-core.ts:
 * the active checker, the alarm loop, the D1 row writer) on first use, like
 * the control plane's classes (state/durable-objects.ts). Every isolate
 * evaluates the entry; only the hub runs this code, so the entry does not
 * carry it (test/node/bundle-graph.test.ts). Every method forwards; callers
 * hold a stub and await either way.
 */
import { DurableObject } from 'cloudflare:workers'
import type { HostHealthStatus } from '../compile/types.js'
import type { HealthDigest, HealthHub, HealthTarget, HubAuthority } from '../upstream/health/authority.js'
import type { ClusterHealthReport } from '../upstream/health/flags.js'
import type { HealthAuthorityCore } from './health-authority-core.js'
import { lazyModule } from '../lazy-module.js'

export class HealthAuthority extends DurableObject<EdgevoyEnv> implements HubAuthority, HealthHub {
  // Overlapping first calls share one import and one core; a failed import keeps nothing (lazy-module.ts).
  readonly #core = lazyModule(async () => new (await import('./health-authority-core.js')).HealthAuthorityCore(this.ctx, this.env))
  #load(): Promise<HealthAuthorityCore> {
    return this.#core.load()
  }
  async pollCluster(cluster: string, hash: string): Promise<ClusterHealthReport | 'unregistered'> {
    return (await this.#load()).pollCluster(cluster, hash)
  }
  async register(target: HealthTarget): Promise<void> {
    return (await this.#load()).register(target)
  }
  async reportImmediateFailFor(cluster: string, address: string): Promise<void> {
    return (await this.#load()).reportImmediateFailFor(cluster, address)
  }
  async setOverrideFor(cluster: string, address: string, status: HostHealthStatus | null): Promise<ClusterHealthReport | 'unknown_host'> {
    return (await this.#load()).setOverrideFor(cluster, address, status)
  }
  async digest(): Promise<HealthDigest> {
    return (await this.#load()).digest()
  }
  async setConfigVersion(version: number): Promise<void> {
    return (await this.#load()).setConfigVersion(version)
  }
  override async alarm(): Promise<void> {
    return (await this.#load()).alarm()
  }
}
