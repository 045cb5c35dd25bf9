/**
 * The stats endpoints and the dashboard, as a Hono sub-app the admin API
 * mounts under `/__admin` (behind its auth):
 *   GET /stats               Envoy's text form; `?format=json`, `?filter=<regex>`, `?usedonly`
 *   GET /stats/prometheus    Prometheus exposition (Envoy's naming)
 *   GET /                    the dashboard page
 * https://www.envoyproxy.io/docs/envoy/latest/operations/admin
 */
import { Hono } from 'hono'
import { DASHBOARD_HTML } from './dashboard.js'
import { renderPrometheus } from './prometheus.js'
import { isolateStats, type StatsStore } from './stats.js'
import { renderJson, renderText, type StatsQuery } from './stats-text.js'

export interface StatsRoutesOptions {
  /** Default: this isolate's store. */
  readonly stats?: StatsStore
}

export function statsRoutes(options: StatsRoutesOptions = {}): Hono {
  const store = options.stats ?? isolateStats
  const app = new Hono()
  const scope = { 'x-edgevoy-stats-scope': 'isolate', 'x-edgevoy-isolate': store.isolateId, 'cache-control': 'no-store' }

  app.get('/stats', (c) => {
    let filter: RegExp | undefined
    const raw = c.req.query('filter')
    if (raw) {
      try {
        filter = new RegExp(raw)
      } catch {
        return c.text(`invalid regex: ${raw}\n`, 400)
      }
    }
    const q: StatsQuery = { filter, usedOnly: c.req.query('usedonly') !== undefined }
    if (c.req.query('format') === 'json') return c.json(renderJson(store, q), 200, scope)
    if (c.req.query('format') === 'prometheus') return prometheus(store, scope)
    return c.text(renderText(store, q), 200, scope)
  })
  app.get('/stats/prometheus', () => prometheus(store, scope))
  app.get('/', (c) => c.html(DASHBOARD_HTML, 200, { 'cache-control': 'no-store' }))
  return app
}

function prometheus(store: StatsStore, headers: Record<string, string>): Response {
  return new Response(renderPrometheus(store), { headers: { ...headers, 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } })
}
