/**
 * `edgevoy.filters.http.cloudflare_ratelimit`: a limit shared by every isolate
 * in a Cloudflare location, counted by the Workers Rate Limiting binding
 * (`[[ratelimits]]` in wrangler.toml: limit per 10 s or 60 s period). The
 * answer matches local_ratelimit's (429, `x-envoy-ratelimited: true`).
 * https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/
 */
import { clientAddress } from './client-address.js'
import type { FilterFactory } from './types.js'

interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>
}

const isBinding = (v: unknown): v is RateLimitBinding => typeof (v as RateLimitBinding | undefined)?.limit === 'function'

export const cloudflareRateLimitFilter: FilterFactory<'cloudflare_ratelimit'> = {
  kind: 'cloudflare_ratelimit',
  name: 'edgevoy.filters.http.cloudflare_ratelimit',
  statName: 'cloudflare_rate_limit',
  create(config, { stat }) {
    return async (c, next, perRoute) => {
      const cfg = perRoute ?? config
      const count = (s: string) => stat(`${cfg.statPrefix}.cloudflare_rate_limit.${s}`)
      const k = cfg.key
      const key = k.kind === 'request_header' ? c.req.header(k.name) : k.kind === 'generic_key' ? k.value : clientAddress(c.req.raw)
      // No key (e.g. the header is absent): nothing to count, as an Envoy descriptor that is not generated.
      if (key === undefined) return next()
      const binding = (c.env as Record<string, unknown> | undefined)?.[cfg.binding]
      let success: boolean
      try {
        if (!isBinding(binding)) throw new Error(`no rate limiting binding "${cfg.binding}" in this Worker's env`)
        success = (await binding.limit({ key: `${c.get('decision').route?.name ?? ''}:${key}` })).success
      } catch (error) {
        count('error')
        console.error('edgevoy: cloudflare_ratelimit', error)
        success = !cfg.failureModeDeny
      }
      if (success) {
        count('ok')
        return next()
      }
      count('over_limit')
      c.set('responseFlags', [...(c.get('responseFlags') ?? []), 'RL'])
      return c.text('', 429, { 'x-envoy-ratelimited': 'true' })
    }
  },
}
