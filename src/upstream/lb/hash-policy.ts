/**
 * The route's `hash_policy` → the request hash RING_HASH and MAGLEV pick by.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction-hashpolicy
 * https://github.com/envoyproxy/envoy/blob/main/source/common/http/hash_policy.cc
 *
 * Each policy that finds its input yields XXH64 of it; results combine as
 * Envoy combines them, `hash = rotl(hash, 1) ^ next`, and a `terminal` policy
 * that produced a hash ends the list. No result: the balancer hashes a random
 * number, as Envoy does.
 *
 * Sticky sessions: a `cookie` policy with `ttl` whose cookie is absent makes
 * one up, hashes it, and returns the `Set-Cookie` the response must carry
 * (`name="<16 hex>"; Max-Age=<ttl>; Path=<path>; HttpOnly`, Envoy's format).
 * Envoy derives the value from the connection's addresses; a Worker has no
 * connection, so the value is random.
 */
import type { HashPolicy } from '../../compile/types'
import { random64, uint64ToHex, xxHash64 } from './xxhash64'

const M64 = (1n << 64n) - 1n

export interface HashResult {
  /** Absent when no policy produced a hash. */
  readonly hash?: bigint
  /** A `Set-Cookie` value to append to the downstream response (sticky sessions). */
  readonly setCookie?: string
}

const NO_HASH: HashResult = Object.freeze({})

export function computeHash(policies: readonly HashPolicy[] | undefined, request: Request, random: () => number): HashResult {
  if (!policies?.length) return NO_HASH
  let hash: bigint | undefined
  let setCookie: string | undefined
  for (const policy of policies) {
    let next: bigint | undefined
    if (policy.kind === 'header') {
      const value = request.headers.get(policy.name)
      if (value !== null) next = xxHash64(value)
    } else if (policy.kind === 'cookie') {
      const value = cookieValue(request.headers.get('cookie'), policy.name)
      if (value) next = xxHash64(value)
      else if (policy.ttlMs !== undefined && setCookie === undefined) {
        const made = uint64ToHex(random64(random))
        setCookie = makeSetCookie(policy, made)
        next = xxHash64(made)
      }
    } else if (policy.kind === 'source_ip') {
      const ip = request.headers.get('cf-connecting-ip')
      if (ip) next = xxHash64(ip)
    } else {
      const value = queryValue(request.url, policy.name)
      if (value !== undefined) next = xxHash64(value)
    }
    if (next !== undefined) {
      // Rotating the old value keeps duplicate rules from cancelling out (Envoy's comment).
      const old = hash === undefined ? 0n : ((hash << 1n) | (hash >> 63n)) & M64
      hash = old ^ next
    }
    if (policy.terminal && hash !== undefined) break
  }
  return { ...(hash !== undefined ? { hash } : {}), ...(setCookie !== undefined ? { setCookie } : {}) }
}

/** The first cookie named `name`, surrounding quotes removed (Envoy's `parseCookieValue`). */
export function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue
    let v = part.slice(eq + 1).trim()
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
    return v
  }
  return undefined
}

/** The first raw (undecoded) value of query parameter `name`, as Envoy reads it off `:path`. */
function queryValue(url: string, name: string): string | undefined {
  const q = url.indexOf('?')
  if (q < 0) return undefined
  const end = url.indexOf('#', q)
  for (const pair of url.slice(q + 1, end < 0 ? undefined : end).split('&')) {
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    if (key === name) return eq < 0 ? '' : pair.slice(eq + 1)
  }
  return undefined
}

/** Envoy's `makeSetCookieValue` with `httponly` set. */
function makeSetCookie(cookie: Extract<HashPolicy, { kind: 'cookie' }>, value: string): string {
  let out = `${cookie.name}="${value}"`
  const maxAge = Math.floor((cookie.ttlMs ?? 0) / 1000)
  if (maxAge !== 0) out += `; Max-Age=${maxAge}`
  if (cookie.path) out += `; Path=${cookie.path}`
  for (const a of cookie.attributes ?? []) out += a.value ? `; ${a.name}=${a.value}` : `; ${a.name}`
  return `${out}; HttpOnly`
}
