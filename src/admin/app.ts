/**
 * The admin API: a Hono app under a prefix that proxied traffic cannot use
 * (`ADMIN_PREFIX`, default `/__admin`), optionally only for one hostname
 * (`ADMIN_HOST`). It fails closed: without an ADMIN_TOKEN it answers 404 as
 * if absent; a wrong or missing token gets 401. Nothing under the prefix is
 * ever forwarded upstream.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { StateEnv } from '../state/env.js'
import { refreshSeconds } from '../state/env.js'
import { currentServing, ISOLATE_STARTED, isolateState, upstreamStatus } from '../state/serving.js'
import { checkToken } from './auth.js'
import { xdsAdminRoutes } from '../xds/admin-routes.js'
import type { NodeConfigStorage, NodePutResult, StoredNodeConfig } from '../xds/nodes.js'
import { configRoutes } from './config-routes.js'
import type { AdminContext, AdminEnv } from './context.js'
import { authority, parseWith } from './context.js'
import { AdminError, errorResponse } from './errors.js'
import { explainRoute } from './explain.js'
import { openApiDocument } from './openapi.js'
import { resourceRoutes } from './resource-routes.js'
import { RouteQuery } from './schemas.js'
import { clustersJson, clustersText, configDump } from './views.js'
import { statsRoutes } from '../observability/admin-routes.js'
import { isolateStats } from '../observability/stats.js'
import { syncUpstreamStats } from '../observability/upstream-stats.js'
import type { MiddlewareHandler } from 'hono'
import { DASHBOARD_HTML } from '../observability/dashboard.js'
import { setEndpointHealth } from '../upstream/health/admin.js'
import { namespaceResolver, type DurableObjectNamespaceLike } from '../upstream/health/authority.js'

export const DEFAULT_ADMIN_PREFIX = '/__admin'
/** Request bodies above this are refused with 413 (a config is rarely over a few hundred KiB). */
export const ADMIN_BODY_LIMIT = 1024 * 1024
const VERSION = '0.1.0'

export function adminPrefix(env: StateEnv): string {
  const p = (env.ADMIN_PREFIX || DEFAULT_ADMIN_PREFIX).replace(/\/+$/, '')
  return p.startsWith('/') ? p : `/${p}`
}

/** Is this request for the admin API (its prefix, and its host if ADMIN_HOST is set)? */
export function isAdminRequest(request: Request, env: StateEnv): boolean {
  const url = new URL(request.url)
  const prefix = adminPrefix(env)
  if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return false
  if (!env.ADMIN_HOST) return true
  const host = (request.headers.get('host') ?? url.host).toLowerCase().replace(/:\d+$/, '')
  return host === env.ADMIN_HOST.toLowerCase()
}

function buildAdminApp(prefix: string): Hono<AdminEnv> {
  const api = new Hono<AdminEnv>({ strict: false })
  api.use(async (c, next) => {
    // Fail closed: no token configured means no admin API, not an open one.
    if (!c.env.ADMIN_TOKEN) return c.body(null, 404)
    // Every admin path is behind the token, the dashboard page too (it reveals
    // that an admin API is here and where). A browser opens it with Basic auth
    // (password = the token); the page then sends the token on its own calls.
    const dashboard = c.req.method === 'GET' && new URL(c.req.url).pathname.replace(/\/+$/, '') === prefix
    await checkToken(c.req.header('authorization') ?? null, c.env.ADMIN_TOKEN, { basic: dashboard })
    if (dashboard) return c.html(DASHBOARD_HTML, 200, { 'cache-control': 'no-store' })
    await next()
    c.header('cache-control', 'no-store')
  })
  api.use(bodyLimit({ maxSize: ADMIN_BODY_LIMIT, onError: () => errorResponse(413, 'payload_too_large', `request bodies are limited to ${ADMIN_BODY_LIMIT} bytes`) }))
  api.route('/', configRoutes)
  api.route('/', resourceRoutes)
  api.route('/', xdsAdminRoutes(nodeStore))

  api.get('/clusters', (c) => {
    const serving = currentServing(c.env)
    if (c.req.query('format') === 'text') return c.text(clustersText(serving))
    return c.json(clustersJson(serving))
  })
  api.get('/config_dump', (c) => c.json(configDump(currentServing(c.env))))
  api.get('/route', (c) => {
    const params = new URL(c.req.url).searchParams
    const query = parseWith(RouteQuery, Object.fromEntries([...params].filter(([k]) => !k.startsWith('header.'))), 'route query')
    const headers = Object.fromEntries([...params].filter(([k]) => k.startsWith('header.')).map(([k, v]) => [k.slice(7).toLowerCase(), v]))
    const serving = currentServing(c.env)
    return c.json(explainRoute(serving.listener, serving.snapshot.version, query, headers))
  })
  // Drain (or fail, or restore) one endpoint for every isolate, through the cluster's health authority.
  api.post('/clusters/:name/endpoints/:addr/health', async (c) => {
    const ns = (c.env as { HEALTH?: DurableObjectNamespaceLike }).HEALTH
    if (!ns) throw new AdminError(501, 'no_health_binding', 'the HEALTH Durable Object binding is not configured')
    const cluster = currentServing(c.env).snapshot.clusters.get(c.req.param('name'))
    const body = await c.req.json().catch(() => undefined)
    const result = await setEndpointHealth(cluster, decodeURIComponent(c.req.param('addr')), body, namespaceResolver(ns))
    if (result.status !== 200) {
      const { error, message, ...details } = result.body as { error?: string; message?: string }
      throw new AdminError(result.status, String(error ?? 'invalid'), String(message ?? ''), Object.keys(details).length ? [details] : [])
    }
    return c.json(result.body)
  })
  // Retries, overflows and ejections are counted by the cluster manager: copy them in before stats are read.
  api.use('/stats/*', syncStats)
  api.use('/stats', syncStats)
  api.route('/', statsRoutes())
  api.get('/server_info', (c) => c.json(serverInfo(c.env)))
  api.get('/ready', (c) => c.json(serverInfo(c.env)))
  api.get('/openapi.json', (c) => c.json(openApiDocument(prefix)))

  api.notFound(() => errorResponse(404, 'not_found', 'no such admin endpoint (see openapi.json)'))
  api.onError((err) => {
    if (err instanceof AdminError) return err.toResponse()
    console.error('edgevoy admin: internal error', err)
    return errorResponse(500, 'internal', err instanceof Error ? err.message : String(err))
  })
  const app = new Hono<AdminEnv>().route(prefix, api)
  app.notFound(() => errorResponse(404, 'not_found', 'no such admin endpoint (see openapi.json)'))
  app.onError((err) => (err instanceof AdminError ? err.toResponse() : errorResponse(500, 'internal', String(err))))
  return app
}

const syncStats: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const snapshot = currentServing(c.env).snapshot
  syncUpstreamStats(isolateStats, [...snapshot.clusters.values()].map(upstreamStatus), Date.now())
  await next()
}

/** The config authority as the xDS node store (RPC to the Durable Object). */
function nodeStore(c: AdminContext): NodeConfigStorage {
  const a = authority(c)
  return {
    get: async (node) => (await a.getNode(node)) as StoredNodeConfig | undefined,
    put: async (node, json, ifMatch) => (await a.putNode(node, json, ifMatch)) as NodePutResult,
  }
}

function serverInfo(env: StateEnv) {
  const s = isolateState(env)
  const serving = s.stored ?? s.base
  return {
    version: VERSION,
    state: 'LIVE' as const,
    config_version: serving.snapshot.version,
    config_source: serving.version > 0 ? ('published' as const) : ('bundled' as const),
    config_updated: serving.updatedAt,
    uptime_current_epoch: `${Math.floor((Date.now() - ISOLATE_STARTED) / 1000)}s`,
    refresh_seconds: refreshSeconds(env),
    config_problem: s.problem ? { ...s.problem, errors: [...s.problem.errors] } : null,
  }
}

const apps = new Map<string, Hono<AdminEnv>>()

/** The admin app for this env's prefix (built once per prefix). */
export function adminApp(env: StateEnv): Hono<AdminEnv> {
  const prefix = adminPrefix(env)
  let app = apps.get(prefix)
  if (!app) apps.set(prefix, (app = buildAdminApp(prefix)))
  return app
}
