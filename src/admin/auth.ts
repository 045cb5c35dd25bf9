/**
 * Bearer-token auth that fails closed: the token is compared in constant time
 * (both sides hashed to equal length first, so neither the content nor the
 * length leaks through timing).
 * https://developers.cloudflare.com/workers/examples/protect-against-timing-attacks/
 */
import { AdminError } from './errors.js'

export const WWW_AUTHENTICATE = 'Bearer realm="edgevoy admin"'

export async function checkToken(header: string | null, token: string): Promise<void> {
  const m = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null
  const unauthorized = new AdminError(401, 'unauthorized', m ? 'wrong admin token' : 'missing "Authorization: Bearer <token>"', [], { 'www-authenticate': WWW_AUTHENTICATE })
  if (!m) throw unauthorized
  const enc = new TextEncoder()
  const [a, b] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(m[1]!)), crypto.subtle.digest('SHA-256', enc.encode(token))])
  if (!crypto.subtle.timingSafeEqual(a, b)) throw unauthorized
}
