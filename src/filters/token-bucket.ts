/**
 * Envoy's token bucket (`type.v3.TokenBucket`): starts full, gains
 * `tokens_per_fill` every `fill_interval` up to `max_tokens`. Filled lazily
 * from the injected clock instead of Envoy's timer; same answers.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/v3/token_bucket.proto
 */
export interface TokenBucketSpec {
  readonly max_tokens: number
  readonly tokens_per_fill?: number | undefined
  readonly fill_interval: number
}

export class TokenBucket {
  private tokens: number
  private lastFill: number

  constructor(private readonly spec: TokenBucketSpec, now: number) {
    this.tokens = spec.max_tokens
    this.lastFill = now
  }

  /** Takes one token if there is one. */
  consume(now: number): boolean {
    const fills = Math.floor((now - this.lastFill) / this.spec.fill_interval)
    if (fills > 0) {
      this.tokens = Math.min(this.spec.max_tokens, this.tokens + fills * (this.spec.tokens_per_fill ?? 1))
      this.lastFill += fills * this.spec.fill_interval
    }
    if (this.tokens < 1) return false
    this.tokens--
    return true
  }
}
