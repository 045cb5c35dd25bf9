/**
 * `envoy.filters.http.local_ratelimit`: token buckets in this isolate's memory.
 * A route's per-filter config gets buckets of its own; descriptors matched
 * from the route's `rate_limits` take their own bucket before the default.
 * Over the limit: 429 `local_rate_limited` with `x-envoy-ratelimited: true`.
 * Enforcement needs filter_enabled and filter_enforced, which default to 0% in Envoy.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/local_rate_limit_filter
 */
import type { LocalRateLimitConfig } from '../compile/types.js'
import { editRequestHeaders } from './request.js'
import { requestDescriptors, type DescriptorEntry } from './rate-limit-descriptors.js'
import { sampled } from './percent.js'
import { TokenBucket } from './token-bucket.js'
import type { FilterFactory } from './types.js'

/** A cap on buckets made for wildcard descriptor values, so clients can't grow memory without bound. */
const MAX_DYNAMIC_BUCKETS = 10_000

class Limiter {
  private readonly defaultBucket: TokenBucket | undefined
  private readonly descriptorBuckets = new Map<string, TokenBucket>()

  constructor(readonly config: LocalRateLimitConfig, now: number) {
    this.defaultBucket = config.tokenBucket ? new TokenBucket(config.tokenBucket, now) : undefined
  }

  allowed(descriptors: DescriptorEntry[][], now: number): boolean {
    const configured = this.config.descriptors ?? []
    for (const d of descriptors) {
      const i = configured.findIndex((c) => c.entries.length === d.length && c.entries.every((e, j) => e.key === d[j]!.key && (e.value === '' || e.value === d[j]!.value)))
      if (i < 0) continue
      const key = `${i}\u0000${d.map((e) => e.value).join('\u0000')}`
      let bucket = this.descriptorBuckets.get(key)
      if (!bucket) {
        if (this.descriptorBuckets.size >= MAX_DYNAMIC_BUCKETS) this.descriptorBuckets.delete(this.descriptorBuckets.keys().next().value!)
        this.descriptorBuckets.set(key, (bucket = new TokenBucket(configured[i]!.tokenBucket, now)))
      }
      if (!bucket.consume(now)) return false
    }
    return this.defaultBucket ? this.defaultBucket.consume(now) : true
  }
}

export const localRateLimitFilter: FilterFactory<'local_ratelimit'> = {
  kind: 'local_ratelimit',
  name: 'envoy.filters.http.local_ratelimit',
  statName: 'http_local_rate_limit',
  create(config, { deps, stat }) {
    // One limiter per compiled config (the listener's, or a route's): buckets live as long as the snapshot.
    const limiters = new WeakMap<object, Limiter>()
    const limiterFor = (cfg: LocalRateLimitConfig) => {
      let l = limiters.get(cfg)
      if (!l) limiters.set(cfg, (l = new Limiter(cfg, deps.now())))
      return l
    }
    return async (c, next, perRoute) => {
      const cfg = perRoute ?? config
      const limiter = limiterFor(cfg)
      // Envoy names these stats under the filter's own stat_prefix.
      const count = (s: string) => stat(`${cfg.statPrefix}.http_local_rate_limit.${s}`)
      if (!sampled(cfg.filterEnabled, deps.random, false)) return next()
      count('enabled')
      const descriptors = cfg.descriptors?.length ? requestDescriptors(c.get('decision'), c.req.raw, cfg.stage) : []
      if (limiter.allowed(descriptors, deps.now())) {
        count('ok')
        return next()
      }
      count('rate_limited')
      if (!sampled(cfg.filterEnforced, deps.random, false)) {
        const add = cfg.requestHeadersToAddWhenNotEnforced
        if (add?.length) editRequestHeaders(c, (headers) => {
          for (const h of add) headers.set(h.key, h.value)
        })
        return next()
      }
      count('enforced')
      // %RESPONSE_FLAGS% RL: "the request was rate-limited locally by the HTTP rate limit filter".
      c.set('responseFlags', [...(c.get('responseFlags') ?? []), 'RL'])
      const res = c.text('local_rate_limited', cfg.status as 429, { 'x-envoy-ratelimited': 'true' })
      for (const h of cfg.responseHeadersToAdd ?? []) {
        if (h.append) res.headers.append(h.key, h.value)
        else res.headers.set(h.key, h.value)
      }
      return res
    }
  },
}
