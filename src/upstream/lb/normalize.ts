/**
 * Envoy's `normalizeHostWeights` for the hashing balancers: each host's share
 * of the total weight, in host order, plus the smallest and largest share.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/load_balancing_policies/common/thread_aware_lb_impl.cc
 */
import type { Host } from '../../compile/types'

export interface NormalizedWeights {
  readonly hosts: readonly { readonly host: Host; readonly weight: number }[]
  readonly min: number
  readonly max: number
}

export function normalizeHostWeights(hosts: readonly Host[]): NormalizedWeights {
  const usable = hosts.filter((h) => h.weight > 0)
  const sum = usable.reduce((s, h) => s + h.weight, 0)
  let min = 1
  let max = 0
  const out = usable.map((host) => {
    const weight = (host.weight * 1.0) / sum
    min = Math.min(min, weight)
    max = Math.max(max, weight)
    return { host, weight }
  })
  return { hosts: out, min, max }
}
