/**
 * Locality-aware picking, wrapped around any policy: hosts are grouped by
 * `locality` (region/zone/sub_zone) and one inner balancer is built per group.
 *
 * 1. Workers twist, colo affinity: the cluster maps Cloudflare colos and
 *    continents to preferred locality regions, in order. A request served by
 *    a mapped colo (`request.cf.colo`, else `request.cf.continent`) goes to
 *    the first preferred region that has hosts here. The caller builds this
 *    balancer from the healthy hosts of one priority level, so a region whose
 *    hosts are all unhealthy is simply absent and the next one is used.
 * 2. `common_lb_config.locality_weighted_lb_config`: otherwise a locality is
 *    picked at random in proportion to its `load_balancing_weight` (a
 *    locality without one gets no traffic, as in Envoy).
 *    https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/locality_weight
 * 3. Otherwise all hosts, as if there were no localities.
 *
 * The mapping lives in cluster metadata (edgevoy's own namespace):
 *
 *   metadata:
 *     filter_metadata:
 *       edgevoy:
 *         colo_regions:
 *           colos: { AMS: [eu-west, eu-central], IAD: us-east }
 *           continents: { EU: [eu-west, eu-central], NA: [us-east, us-west] }
 */
import type { Cluster, Host } from '../../compile/types'
import { coloRegions, localityWeighted } from './lb-config'
import type { LbContext, LoadBalancer, LoadBalancerFactory } from './types'

export interface ColoRegions {
  readonly colos: Readonly<Record<string, readonly string[]>>
  readonly continents: Readonly<Record<string, readonly string[]>>
}

export interface LocalityOptions {
  readonly weighted: boolean
  readonly coloRegions: ColoRegions | undefined
}

/** The cluster's locality settings: `common_lb_config` and `metadata.filter_metadata.edgevoy.colo_regions`. */
export function localityOptions(cluster: Cluster | undefined): LocalityOptions {
  return { weighted: localityWeighted(cluster), coloRegions: coloRegions(cluster) }
}

/** The regions a request prefers, best first: its colo's list, else its continent's. */
export function preferredRegions(request: Request | undefined, map: ColoRegions | undefined): readonly string[] {
  const cf = (request as { cf?: { colo?: unknown; continent?: unknown } } | undefined)?.cf
  if (!map || !cf) return []
  const colo = typeof cf.colo === 'string' ? map.colos[cf.colo.toUpperCase()] : undefined
  if (colo?.length) return colo
  return (typeof cf.continent === 'string' ? map.continents[cf.continent.toUpperCase()] : undefined) ?? []
}

interface Group {
  readonly region: string
  readonly weight: number
  readonly lb: LoadBalancer
}

const localityKey = (h: Host) => `${h.locality.region ?? ''}/${h.locality.zone ?? ''}/${h.locality.subZone ?? ''}`

/** Wraps `inner` with locality picking; the options default to the cluster's (`deps.cluster`). */
export const withLocality =
  (inner: LoadBalancerFactory, given?: LocalityOptions): LoadBalancerFactory =>
  (hosts, deps) => {
    const options = given ?? localityOptions(deps.cluster)
    const all = inner(hosts, deps)
    if (!options.weighted && !options.coloRegions) return all
    const byLocality = new Map<string, Host[]>()
    for (const h of hosts) byLocality.set(localityKey(h), [...(byLocality.get(localityKey(h)) ?? []), h])
    const groups: Group[] = [...byLocality.values()].map((members) => ({
      region: members[0]!.locality.region ?? '',
      weight: members[0]!.localityWeight ?? 0,
      lb: inner(members, deps),
    }))

    /** One of `candidates`, by locality weight (equal chances when none is weighted); the others if it has nothing. */
    const pickAmong = (candidates: readonly Group[], context: LbContext | undefined, byWeight: boolean): Host | undefined => {
      const weights = candidates.map((g) => (byWeight ? g.weight : 1))
      let total = weights.reduce((a, b) => a + b, 0)
      while (total > 0) {
        let r = deps.random() * total
        let i = weights.findIndex((w) => w > 0 && (r -= w) < 0)
        if (i < 0) i = weights.findLastIndex((w) => w > 0)
        const host = candidates[i]!.lb.chooseHost(context)
        if (host) return host
        total -= weights[i]!
        weights[i] = 0
      }
      return undefined
    }

    return {
      policy: all.policy,
      chooseHost(context?: LbContext) {
        for (const region of preferredRegions(context?.request, options.coloRegions)) {
          const home = groups.filter((g) => g.region === region)
          const host = home.length ? pickAmong(home, context, false) : undefined
          if (host) return host
        }
        if (options.weighted) {
          const host = pickAmong(groups, context, true)
          if (host) return host
        }
        return all.chooseHost(context)
      },
    }
  }
