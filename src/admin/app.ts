/**
 * The admin API: a Hono app under a prefix that proxied traffic cannot use
 * (`ADMIN_PREFIX`, default `/__admin`), optionally only for one hostname
 * (`ADMIN_HOST`). It fails closed: without an ADMIN_TOKEN it answers 404 as
 * if absent; a wrong or missing token gets 401. Nothing under the prefix is
 * ever forwarded upstream.
 */
import { Hono } from 'hono'
import type { Cluster } from '../compile/types.js'
import { bodyLimit } from 'hono/body-limit'
import type { StateEnv } from '../state/env.js'
import { refreshSeconds } from '../state/env.js'
import { adminPrefix } from '../state/admin-request.js'
import type { Isolate } from '../state/serving.js'
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
import { syncUpstreamStats } from '../observability/upstream-stats.js'
import type { MiddlewareHandler } from 'hono'
import { DASHBOARD_HTML } from '../observability/dashboard.js'
import { setEndpointHealth } from '../upstream/health/admin.js'
import { upstreamStatus as clusterStatusOf } from '../upstream/cluster-status.js'
import { namespaceResolver, type DurableObjectNamespaceLike } from '../upstream/health/authority.js'

export { adminPrefix, DEFAULT_ADMIN_PREFIX, isAdminRequest } from '../state/admin-request.js'
/** Request bodies above this are refused with 413 (a config is rarely over a few hundred KiB). */
export const ADMIN_BODY_LIMIT = 1024 * 1024
const VERSION = '0.1.0'

function buildAdminApp(prefix: string, isolate: Isolate): Hono<AdminEnv> {
  const currentServing = (env: StateEnv) => isolate.current(env)
  const upstreamStatus = (cluster: Cluster) => clusterStatusOf(isolate.deps.clusters, cluster)
  const api = new Hono<AdminEnv>({ strict: false })
  api.use(async (c, next) => {
    c.set('isolate', isolate)
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
    if (c.req.query('format') === 'text') return c.text(clustersText(serving, upstreamStatus))
    return c.json(clustersJson(serving, upstreamStatus))
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
  const syncStats: MiddlewareHandler<AdminEnv> = async (c, next) => {
    const snapshot = currentServing(c.env).snapshot
    syncUpstreamStats(isolate.deps.stats, [...snapshot.clusters.values()].map(upstreamStatus), Date.now())
    await next()
  }
  api.use('/stats/*', syncStats)
  api.use('/stats', syncStats)
  api.route('/', statsRoutes({ stats: isolate.deps.stats }))
  api.get('/server_info', (c) => c.json(serverInfo(c.env, isolate)))
  api.get('/ready', (c) => c.json(serverInfo(c.env, isolate)))
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

/** The config authority as the xDS node store (RPC to the Durable Object). */
function nodeStore(c: AdminContext): NodeConfigStorage {
  const a = authority(c)
  return {
    get: async (node) => (await a.getNode(node)) as StoredNodeConfig | undefined,
    put: async (node, json, ifMatch) => (await a.putNode(node, json, ifMatch)) as NodePutResult,
  }
}

function serverInfo(env: StateEnv, isolate: Isolate) {
  const s = isolate.state(env)
  const serving = s.stored ?? s.base
  return {
    version: VERSION,
    state: 'LIVE' as const,
    config_version: serving.snapshot.version,
    config_source: serving.version > 0 ? ('published' as const) : ('bundled' as const),
    config_updated: serving.updatedAt,
    uptime_current_epoch: `${Math.floor((Date.now() - isolate.started) / 1000)}s`,
    refresh_seconds: refreshSeconds(env),
    config_problem: s.problem ? { ...s.problem, errors: [...s.problem.errors] } : null,
  }
}

const apps = new WeakMap<Isolate, Map<string, Hono<AdminEnv>>>()

/** The admin app for this isolate and env's prefix (built once per prefix). */
export function adminApp(env: StateEnv, isolate: Isolate): Hono<AdminEnv> {
  const prefix = adminPrefix(env)
  let byPrefix = apps.get(isolate)
  if (!byPrefix) apps.set(isolate, (byPrefix = new Map()))
  let app = byPrefix.get(prefix)
  if (!app) byPrefix.set(prefix, (app = buildAdminApp(prefix, isolate)))
  return app
}

/** The admin API's answer to a request isAdminRequest() accepted (the isolate is prepared). */
export function adminFetch(request: Request, env: StateEnv, ctx: ExecutionContext, isolate: Isolate): Response | Promise<Response> {
  return adminApp(env, isolate).fetch(request, env, ctx)
}
