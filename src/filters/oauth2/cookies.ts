/**
 * The oauth2 filter's cookies: reading them from `Cookie`, and the
 * `Set-Cookie` values Envoy writes — `path=/`, `Max-Age`, `secure`,
 * `HttpOnly`, the configured `SameSite`, and `Domain` when cookie_domain is set.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/oauth2/filter.cc (addResponseCookies, signOutUser)
 */
import type { OAuth2Config } from '../../compile/types.js'
import type { OAuth2CookieKind } from '../../compile/ir.js'

/** Cookie name → value, first occurrence wins (Envoy's Http::Utility::parseCookies). */
export function parseCookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>()
  if (!header) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (name && !out.has(name)) out.set(name, value)
  }
  return out
}

const SAME_SITE = { STRICT: ';SameSite=Strict', LAX: ';SameSite=Lax', NONE: ';SameSite=None' } as const

/** `<name>=<value>;path=/;Max-Age=<s>;secure;HttpOnly[;SameSite=…][;domain=…]` for one of the filter's cookies. */
export function setCookie(config: OAuth2Config, kind: OAuth2CookieKind, value: string, maxAgeS: number): string {
  const site = config.sameSite[kind]
  const domain = config.cookieDomain ? `;domain=${config.cookieDomain}` : ''
  return `${config.cookieNames[kind]}=${value};path=/;Max-Age=${maxAgeS};secure;HttpOnly${site ? SAME_SITE[site] : ''}${domain}`
}

/** Envoy's CookieDeleteFormatString. */
export function deleteCookie(config: OAuth2Config, kind: OAuth2CookieKind): string {
  const domain = config.cookieDomain ? `; domain=${config.cookieDomain}` : ''
  return `${config.cookieNames[kind]}=deleted; path=/${domain}; expires=Thu, 01 Jan 1970 00:00:00 GMT`
}
