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
  // Asked on every request: the path is read from the URL string, not parsed into a URL object.
  const pathname = pathnameOf(request.url)
  const prefix = adminPrefix(env)
  if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return false
  if (!env.ADMIN_HOST) return true
  const host = (request.headers.get('host') ?? new URL(request.url).host).toLowerCase().replace(/:\d+$/, '')
  return host === env.ADMIN_HOST.toLowerCase()
}

/**
 * The pathname of a serialized http(s) URL (what `request.url` always is:
 * `scheme://authority/path?query#fragment`, with `/`, `?` and `#` escaped
 * inside the authority and path), as `new URL(url).pathname` reads it.
 */
export function pathnameOf(url: string): string {
  const slashes = url.indexOf('//')
  const start = slashes < 0 ? -1 : url.indexOf('/', slashes + 2)
  if (start < 0) return new URL(url).pathname
  let end = url.length
  for (let i = start; i < end; i++) {
    const ch = url.charCodeAt(i)
    if (ch === 63 /* ? */ || ch === 35 /* # */) end = i
  }
  return url.slice(start, end)
}
