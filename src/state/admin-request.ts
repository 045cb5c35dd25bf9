/**
 * Data plane: is this request for the admin API? Answered without loading
 * the admin API (a lazily imported part of the control plane).
 */
import type { StateEnv } from './env.js'

export const DEFAULT_ADMIN_PREFIX = '/__admin'

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
