/**
 * Resource-level edits: clusters, virtual hosts and routes by their Envoy
 * `name`. Each is one authority write — the edit applied to the current
 * config, validated whole, versioned like a PUT /config.
 */
import { Hono } from 'hono'
import type { PublishedConfig } from '../state/published.js'
import { authority, etag, parseWith, readBody, write, type AdminContext, type AdminEnv } from './context.js'
import { findCluster, findRoute, findVirtualHost } from './edits.js'
import { AdminError } from './errors.js'
import { ClusterBody, EndpointsPatch, RouteBody, RoutePlacement, VirtualHostBody } from './schemas.js'

export const resourceRoutes = new Hono<AdminEnv>()

const listenerOf = (c: AdminContext) => c.env.EDGEVOY_LISTENER || undefined
const note = (c: AdminContext) => `${c.req.method} ${c.req.routePath.replace(/:(\w+)/g, (_, k: string) => c.req.param(k) ?? k)}`

/** A resource of the current config, with the config's version as its ETag. */
async function show(c: AdminContext, find: (config: unknown) => unknown, what: string): Promise<Response> {
  const current = (await authority(c).current()) as PublishedConfig
  const found = find(current.config)
  if (found === undefined) throw new AdminError(404, 'not_found', `no ${what}`)
  return c.json(found as object, 200, { etag: etag(current.version) })
}

resourceRoutes.get('/clusters/:name', (c) => show(c, (cfg) => findCluster(cfg, c.req.param('name')), `cluster named "${c.req.param('name')}"`))

resourceRoutes.put('/clusters/:name', async (c) => {
  const cluster = parseWith(ClusterBody, (await readBody(c)).value, 'cluster')
  return write(c, { kind: 'put_cluster', name: c.req.param('name'), cluster }, note(c))
})

resourceRoutes.delete('/clusters/:name', (c) => write(c, { kind: 'delete_cluster', name: c.req.param('name') }, note(c)))

resourceRoutes.patch('/clusters/:name/endpoints', async (c) => {
  const { add, remove } = parseWith(EndpointsPatch, (await readBody(c)).value, 'endpoints patch')
  return write(c, { kind: 'patch_endpoints', name: c.req.param('name'), add, remove }, note(c))
})

resourceRoutes.get('/virtual_hosts/:name', (c) =>
  show(c, (cfg) => findVirtualHost(cfg, listenerOf(c), c.req.param('name')), `virtual host named "${c.req.param('name')}"`),
)

resourceRoutes.put('/virtual_hosts/:name', async (c) => {
  const virtualHost = parseWith(VirtualHostBody, (await readBody(c)).value, 'virtual host')
  return write(c, { kind: 'put_virtual_host', listener: listenerOf(c), name: c.req.param('name'), virtualHost }, note(c))
})

resourceRoutes.delete('/virtual_hosts/:name', (c) => write(c, { kind: 'delete_virtual_host', listener: listenerOf(c), name: c.req.param('name') }, note(c)))

resourceRoutes.get('/virtual_hosts/:vh/routes/:route', (c) =>
  show(c, (cfg) => findRoute(cfg, listenerOf(c), c.req.param('vh'), c.req.param('route')), `route "${c.req.param('route')}" in virtual host "${c.req.param('vh')}"`),
)

resourceRoutes.put('/virtual_hosts/:vh/routes/:route', async (c) => {
  const route = parseWith(RouteBody, (await readBody(c)).value, 'route')
  const { before, after } = parseWith(RoutePlacement, { before: c.req.query('before'), after: c.req.query('after') }, 'route placement')
  return write(c, { kind: 'put_route', listener: listenerOf(c), virtualHost: c.req.param('vh'), name: c.req.param('route'), route, before, after }, note(c))
})

resourceRoutes.delete('/virtual_hosts/:vh/routes/:route', (c) =>
  write(c, { kind: 'delete_route', listener: listenerOf(c), virtualHost: c.req.param('vh'), name: c.req.param('route') }, note(c)),
)
