/**
 * The whole config: read, replace, validate, history and rollback.
 * A config is validated (every error, with YAML lines) before the authority
 * sees it; the authority validates again against its own current state.
 */
import { Hono } from 'hono'
import { stringify as toYaml } from 'yaml'
import type { ListenerGuard, WriteResult } from './authority.js'
import type { PublishedConfig } from '../state/published.js'
import { loadConfig, validateConfig, type LoadResult } from '../config/load.js'
import { answerWrite, authority, etag, ifMatchOf, parseWith, readBody, type AdminContext, type AdminEnv } from './context.js'
import { AdminError } from './errors.js'
import { RollbackBody } from './schemas.js'

export const configRoutes = new Hono<AdminEnv>()

configRoutes.get('/config', async (c) => {
  const current = (await authority(c).current()) as PublishedConfig
  const headers = { etag: etag(current.version), 'x-edgevoy-config-version': String(current.version) }
  if (c.req.query('format') === 'yaml') return c.body(toYaml(current.config), 200, { ...headers, 'content-type': 'application/yaml; charset=utf-8' })
  return c.json(current.config as object, 200, headers)
})

/** Body → validated config, or 400 with every error (YAML errors carry their line). */
async function validatedBody(c: AdminContext): Promise<LoadResult> {
  const body = await readBody(c, { config: true })
  return body.yaml ? loadConfig(body.text) : validateConfig(body.value)
}

const rejected = (loaded: LoadResult) => {
  const n = loaded.errors.length
  return new AdminError(400, 'invalid_config', `the config has ${n} error${n === 1 ? '' : 's'}; nothing was changed`, loaded.errors)
}

/**
 * The listener this Worker serves (EDGEVOY_LISTENER), which a whole-config
 * write must keep unless the request says `?force=true`. Without
 * EDGEVOY_LISTENER the Worker serves a config's first listener, and a config
 * with none is already a 400 (cross-check `no_listeners`).
 */
function listenerGuard(c: AdminContext): ListenerGuard | undefined {
  const named = c.env.EDGEVOY_LISTENER
  return named ? { listener: named, force: c.req.query('force') === 'true' } : undefined
}

configRoutes.put('/config', async (c) => {
  const loaded = await validatedBody(c)
  if (!loaded.ok) throw rejected(loaded)
  const result = (await authority(c).write({ kind: 'replace', config: loaded.config.json }, ifMatchOf(c), 'PUT /config', listenerGuard(c))) as WriteResult
  return answerWrite(c, result)
})

configRoutes.post('/config/validate', async (c) => {
  const loaded = await validatedBody(c)
  if (!loaded.ok) throw rejected(loaded)
  return c.json({ valid: true, errors: [], warnings: loaded.warnings })
})

configRoutes.get('/config/versions', async (c) => {
  const { current, versions } = await authority(c).versions()
  return c.json({ current, versions: versions.map((v) => ({ version: v.version, created_at: v.createdAt, note: v.note })) }, 200, { etag: etag(current) })
})

configRoutes.get('/config/versions/:v', async (c) => {
  const v = Number(c.req.param('v'))
  if (!Number.isInteger(v) || v < 0) throw new AdminError(400, 'invalid_request', `a version is a whole number, got "${c.req.param('v')}"`)
  const found = (await authority(c).version(v)) as PublishedConfig | undefined
  if (!found) throw new AdminError(404, 'not_found', `version ${v} is not in the history`)
  if (c.req.query('format') === 'yaml') return c.body(toYaml(found.config), 200, { etag: etag(v), 'content-type': 'application/yaml; charset=utf-8' })
  return c.json({ version: found.version, created_at: found.createdAt, config: found.config }, 200, { etag: etag(v) })
})

configRoutes.post('/config/rollback', async (c) => {
  const { version } = parseWith(RollbackBody, (await readBody(c)).value, 'rollback request')
  return answerWrite(c, (await authority(c).rollback(version, ifMatchOf(c), listenerGuard(c))) as WriteResult)
})
