/**
 * `envoy.filters.http.fault`: delay and/or abort a share of requests. The
 * `x-envoy-fault-*` request headers choose the fault only where the config has
 * `header_delay` / `header_abort`, and their percentage is capped by the config's.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/fault_filter
 */
import { sampled, type Fraction } from './percent.js'
import type { FilterFactory } from './types.js'

const HUNDRED_PERCENT: Fraction = { numerator: 100, denominator: 100 }

/** The fault's fraction, with the header's percentage (same denominator) when allowed and lower. */
function fraction(configured: Fraction | undefined, header: string | undefined): Fraction {
  const base = configured ?? HUNDRED_PERCENT
  const n = header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined
  return n === undefined ? base : { numerator: Math.min(n, base.numerator), denominator: base.denominator }
}

export const faultFilter: FilterFactory<'fault'> = {
  kind: 'fault',
  name: 'envoy.filters.http.fault',
  statName: 'fault',
  create(config, { deps, count }) {
    let active = 0
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
    return async (c, next, perRoute) => {
      const cfg = perRoute ?? config
      const decision = c.get('decision')
      for (const p of cfg.headers) if (!p.test(decision.match)) return next()
      if (cfg.upstreamCluster !== undefined) {
        const a = decision.route?.action
        if (a?.type !== 'route' || a.target.kind !== 'cluster' || a.target.name !== cfg.upstreamCluster) return next()
      }
      if (cfg.maxActiveFaults !== undefined && active >= cfg.maxActiveFaults) {
        count('faults_overflow')
        return next()
      }
      const h = (name: string) => c.req.header(name)
      let delayMs: number | undefined
      if (cfg.delay) {
        const headerMs = cfg.delay.headerDelay ? Number(h('x-envoy-fault-delay-request')) : NaN
        const ms = Number.isFinite(headerMs) && headerMs >= 0 ? headerMs : cfg.delay.fixedDelayMs
        const pct = fraction(cfg.delay.percentage, cfg.delay.headerDelay ? h('x-envoy-fault-delay-request-percentage') : undefined)
        if (ms !== undefined && ms > 0 && sampled(pct, deps.random, false)) delayMs = ms
      }
      let abortStatus: number | undefined
      if (cfg.abort) {
        const headerStatus = cfg.abort.headerAbort ? Number(h('x-envoy-fault-abort-request')) : NaN
        const status = headerStatus >= 200 && headerStatus < 600 ? headerStatus : cfg.abort.httpStatus
        const pct = fraction(cfg.abort.percentage, cfg.abort.headerAbort ? h('x-envoy-fault-abort-request-percentage') : undefined)
        if (status !== undefined && sampled(pct, deps.random, false)) abortStatus = status
      }
      if (delayMs === undefined && abortStatus === undefined) return next()
      active++
      try {
        if (delayMs !== undefined) {
          count('delays_injected')
          await sleep(delayMs)
        }
        if (abortStatus !== undefined) {
          count('aborts_injected')
          return c.text('fault filter abort', abortStatus as 503)
        }
      } finally {
        active--
      }
      return next()
    }
  },
}
