/**
 * The admin API's xDS side, mounted behind the admin token:
 *
 *   POST /xds/v3/discovery:{listeners,routes,clusters,endpoints}   REST xDS for the mesh's sidecars
 *   GET  /nodes/:node/config                                       the node's stored bootstrap (ETag = version)
 *   PUT  /nodes/:node/config                                       replace it (JSON or YAML body, If-Match honoured)
 *
 * The node store is injected (the config authority implements it), so this
 * file holds HTTP shapes only.
 */
import { Hono, type Context } from 'hono'
import type { AdminEnv } from '../admin/context.js'
import { ifMatchOf, readBody } from '../admin/context.js'
import { AdminError } from '../admin/errors.js'
import { nodeConfigGetter, putNodeConfig, type NodeConfigStorage } from './nodes.js'
import { xdsRoutes } from './server.js'

export function xdsAdminRoutes(nodeStorageOf: (c: Context<AdminEnv>) => NodeConfigStorage): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>()
  app.route('/xds', xdsRoutes<AdminEnv>((id, cluster, c) => nodeConfigGetter(nodeStorageOf(c as Context<AdminEnv>))(id, cluster)))

  app.get('/nodes/:node/config', async (c) => {
    const stored = await nodeStorageOf(c).get(c.req.param('node'))
    if (!stored) throw new AdminError(404, 'not_found', `no config is stored for node "${c.req.param('node')}"`)
    return c.json(stored.json as object, 200, { etag: `"${stored.version}"`, 'x-edgevoy-node-version': String(stored.version) })
  })

  app.put('/nodes/:node/config', async (c) => {
    const { value } = await readBody(c, { config: true })
    const answer = await putNodeConfig(nodeStorageOf(c), c.req.param('node'), value, ifMatchOf(c))
    return c.json(answer.body, answer.status, answer.headers)
  })
  return app
}
