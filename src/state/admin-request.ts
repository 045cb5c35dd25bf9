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

/** The last ADMIN_PREFIX seen and its prefix: the setting is the same on every request of an isolate. */
let lastPrefix: { readonly setting: string | undefined; readonly prefix: string } | undefined

/** Is this request for the admin API (its prefix, and its host if ADMIN_HOST is set)? */
export function isAdminRequest(request: Request, env: StateEnv): boolean {
  // Asked on every request: the path is read from the URL string, not parsed into a URL object.
  const url = request.url
  if (lastPrefix === undefined || lastPrefix.setting !== env.ADMIN_PREFIX) lastPrefix = { setting: env.ADMIN_PREFIX, prefix: adminPrefix(env) }
  const prefix = lastPrefix.prefix
  // Most requests are not: a path that does not start with the prefix rules it out before the path is cut out.
  const start = pathStart(url)
  if (start >= 0 && !url.startsWith(prefix, start)) return false
  const pathname = pathnameOf(url)
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
  const start = pathStart(url)
  if (start < 0) return new URL(url).pathname
  let end = url.length
  for (let i = start; i < end; i++) {
    const ch = url.charCodeAt(i)
    if (ch === 63 /* ? */ || ch === 35 /* # */) end = i
  }
  return url.slice(start, end)
}

/** Where the path of a serialized http(s) URL starts (the first `/` after the authority's `//`); -1 when it has none. */
function pathStart(url: string): number {
  const slashes = url.indexOf('//')
  return slashes < 0 ? -1 : url.indexOf('/', slashes + 2)
}
