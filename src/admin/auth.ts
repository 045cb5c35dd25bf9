/**
 * Bearer-token auth that fails closed: the token is compared in constant time
 * (both sides hashed to equal length first, so neither the content nor the
 * length leaks through timing).
 * https://developers.cloudflare.com/workers/examples/protect-against-timing-attacks/
 *
 * The dashboard page also takes HTTP Basic auth with the token as password
 * (any user name): a browser cannot send a bearer token to open a page, but it
 * prompts for Basic credentials (RFC 7617) when challenged.
 */
import { AdminError } from './errors.js'

export const WWW_AUTHENTICATE = 'Bearer realm="edgevoy admin"'
export const WWW_AUTHENTICATE_BASIC = 'Basic realm="edgevoy admin", charset="UTF-8"'

function presented(header: string | null, basic: boolean): string | undefined {
  const bearer = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null
  if (bearer) return bearer[1]!
  const b = basic && header ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim()) : null
  if (!b) return undefined
  try {
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(b[1]!), (ch) => ch.charCodeAt(0)))
    const colon = decoded.indexOf(':')
    return colon >= 0 ? decoded.slice(colon + 1) : undefined
  } catch {
    return undefined
  }
}

export async function checkToken(header: string | null, token: string, options: { basic?: boolean } = {}): Promise<void> {
  const basic = options.basic === true
  const given = presented(header, basic)
  const challenge = basic ? WWW_AUTHENTICATE_BASIC : WWW_AUTHENTICATE
  const unauthorized = new AdminError(401, 'unauthorized', given !== undefined ? 'wrong admin token' : 'missing "Authorization: Bearer <token>"', [], { 'www-authenticate': challenge })
  if (given === undefined) throw unauthorized
  const enc = new TextEncoder()
  const [a, b] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(given)), crypto.subtle.digest('SHA-256', enc.encode(token))])
  if (!crypto.subtle.timingSafeEqual(a, b)) throw unauthorized
}
