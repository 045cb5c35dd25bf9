/**
 * Looking for a newer published config without making requests wait: at most
 * once every CONFIG_REFRESH_SECONDS per isolate, the KV read runs in the
 * background (`ctx.waitUntil`) and the request is served by what is already
 * compiled. With 0 seconds (local dev) the check runs on every request and is
 * awaited — a local KV read is cheap, and a change then applies to the very
 * next request.
 * https://developers.cloudflare.com/kv/concepts/how-kv-works/ (eventual consistency)
 */
import { refreshSeconds, type StateEnv } from './env.js'
import { isPublishedConfig, PUBLISHED_KEY } from './published.js'
import { install, isolateState, type Serving } from './serving.js'

export async function servingForRequest(env: StateEnv, ctx: ExecutionContext): Promise<Serving> {
  const s = isolateState(env)
  const everyMs = refreshSeconds(env) * 1000
  const kv = env.CONFIG
  if (kv && !s.inflight && Date.now() - s.lastCheck >= everyMs) {
    s.lastCheck = Date.now()
    s.inflight = checkPublished(env, kv).finally(() => (s.inflight = undefined))
    if (everyMs > 0) ctx.waitUntil(s.inflight)
  }
  if (everyMs === 0 && s.inflight) await s.inflight
  return s.stored ?? s.base
}

/** Read the published version and install it if newer; never throws (it runs detached). */
export async function checkPublished(env: StateEnv, kv: KVNamespace): Promise<void> {
  try {
    const value = await kv.get(PUBLISHED_KEY, 'json')
    if (value === null) return
    if (!isPublishedConfig(value)) {
      const s = isolateState(env)
      s.problem = { version: -1, errors: [`KV key ${PUBLISHED_KEY} does not hold a published config`], at: new Date().toISOString() }
      return
    }
    const s = isolateState(env)
    if (s.problem?.version === -1) s.problem = undefined
    install(env, value)
  } catch (e) {
    // A KV hiccup or unparsable JSON: keep serving, report it, try again next interval.
    const s = isolateState(env)
    s.problem = { version: -1, errors: [`reading ${PUBLISHED_KEY}: ${e instanceof Error ? e.message : String(e)}`], at: new Date().toISOString() }
  }
}
