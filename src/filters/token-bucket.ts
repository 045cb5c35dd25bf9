/**
 * Envoy's token bucket (`type.v3.TokenBucket`): starts full, gains
 * `tokens_per_fill` every `fill_interval` up to `max_tokens`. Filled lazily
 * from the injected clock instead of Envoy's timer; same answers.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/v3/token_bucket.proto
 */
import type { TokenBucketIR } from '../compile/ir.js'

export type TokenBucketSpec = TokenBucketIR

export class TokenBucket {
  private tokens: number
  private lastFill: number

  constructor(private readonly spec: TokenBucketSpec, now: number) {
    this.tokens = spec.maxTokens
    this.lastFill = now
  }

  /** Takes one token if there is one. */
  consume(now: number): boolean {
    const fills = Math.floor((now - this.lastFill) / this.spec.fillIntervalMs)
    if (fills > 0) {
      this.tokens = Math.min(this.spec.maxTokens, this.tokens + fills * this.spec.tokensPerFill)
      this.lastFill += fills * this.spec.fillIntervalMs
    }
    if (this.tokens < 1) return false
    this.tokens--
    return true
  }
}
