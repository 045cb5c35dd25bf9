/**
 * HTTP caching rules as Envoy's cache filter applies them (RFC 9111, née 7234):
 * which requests may be answered from cache, which responses may be stored,
 * their age and whether a stored one must be validated first.
 * Envoy: source/extensions/filters/http/cache/cacheability_utils.cc,
 * cache_headers_utils.cc (RequestCacheControl, ResponseCacheControl,
 * calculateAge, VaryAllowList) and http_cache.cc (LookupRequest::requiresValidation).
 */
import type { StringMatch } from '../../compile/types.js'

export interface RequestCacheControl {
  readonly mustValidate: boolean
  readonly noStore: boolean
  readonly maxAge?: number | undefined
  readonly minFresh?: number | undefined
  readonly maxStale?: number | undefined
}

export interface ResponseCacheControl {
  /** no-cache. */
  readonly mustValidate: boolean
  /** must-revalidate / proxy-revalidate. */
  readonly noStale: boolean
  /** no-store or private (Envoy treats `private` as no-store: a shared cache must not store it). */
  readonly noStore: boolean
  /** s-maxage, else max-age (seconds). */
  readonly maxAge?: number | undefined
}

/** Envoy's parseDuration: digits (optionally quoted), else the directive is ignored (RFC 9111 §1.2.2). */
function seconds(arg: string): number | undefined {
  const s = arg.length > 1 && arg.startsWith('"') && arg.endsWith('"') ? arg.slice(1, -1) : arg
  return /^\d+$/.test(s) ? Number(s) : undefined
}

function directives(header: string | null): [string, string][] {
  if (!header) return []
  return header.split(',').map((d) => {
    const t = d.trim()
    const eq = t.indexOf('=')
    return eq < 0 ? [t.toLowerCase(), ''] : [t.slice(0, eq).toLowerCase(), t.slice(eq + 1)]
  })
}

const NO_REQUEST_CONTROL: RequestCacheControl = { mustValidate: false, noStore: false }

/**
 * LookupRequest::initializeRequestCacheControl: the request's Cache-Control,
 * or `Pragma: no-cache` when it has none (RFC 9111 §5.4); nothing when
 * ignore_request_cache_control_header.
 */
export function requestCacheControl(headers: Headers, ignore: boolean): RequestCacheControl {
  if (ignore) return NO_REQUEST_CONTROL
  const cc = headers.get('cache-control')
  if (cc === null || cc === '') return { mustValidate: directives(headers.get('pragma')).some(([d]) => d === 'no-cache'), noStore: false }
  let mustValidate = false, noStore = false
  let maxAge: number | undefined, minFresh: number | undefined, maxStale: number | undefined
  for (const [d, arg] of directives(cc)) {
    if (d === 'no-cache') mustValidate = true
    else if (d === 'no-store') noStore = true
    else if (d === 'max-age') maxAge = seconds(arg)
    else if (d === 'min-fresh') minFresh = seconds(arg)
    // A bare max-stale accepts any staleness.
    else if (d === 'max-stale') maxStale = arg === '' ? Infinity : seconds(arg)
  }
  return { mustValidate, noStore, maxAge, minFresh, maxStale }
}

export function responseCacheControl(header: string | null): ResponseCacheControl {
  let mustValidate = false, noStale = false, noStore = false
  let maxAge: number | undefined, sMaxAge: number | undefined
  for (const [d, arg] of directives(header)) {
    if (d === 'no-cache') mustValidate = true
    else if (d === 'must-revalidate' || d === 'proxy-revalidate') noStale = true
    else if (d === 'no-store' || d === 'private') noStore = true
    else if (d === 's-maxage') sMaxAge = seconds(arg)
    else if (d === 'max-age' && maxAge === undefined) maxAge = seconds(arg)
  }
  return { mustValidate, noStale, noStore, maxAge: sMaxAge ?? maxAge }
}

/** CacheHeadersUtils::httpTime: an HTTP-date (IMF-fixdate, RFC 850, asctime), or undefined. */
export function httpTime(value: string | null): number | undefined {
  if (!value) return undefined
  const t = Date.parse(value)
  return Number.isNaN(t) ? undefined : t
}

/**
 * CacheabilityUtils::canServeRequestFromCache: GET or HEAD, no body, no
 * Authorization, and none of If-None-Match / If-Modified-Since / If-Range —
 * Envoy sends conditional requests past the cache ("bypass the CacheFilter …
 * does not cause any incorrect results"), so does edgevoy. If-Match and
 * If-Unmodified-Since may be ignored by caches (RFC 9110 §13.2.1).
 * A Range request passes by too: edgevoy does not slice stored bodies, and a
 * 206 must never be stored as the whole resource.
 */
export function requestBypassReason(req: Request): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return 'method'
  if (req.body !== null) return 'body'
  const h = req.headers
  if (h.has('authorization')) return 'authorization'
  for (const name of ['if-none-match', 'if-modified-since', 'if-range', 'range']) if (h.has(name)) return name
  return undefined
}

/**
 * The status codes Envoy's cache stores (cacheability_utils.cc) but 206: a
 * partial response is not the resource (the Cache API refuses one too).
 */
const STORABLE_STATUS = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 451, 501])

/** The header names a response's Vary lists (lower case, empty entries dropped). */
export function varyNames(headers: Headers): string[] {
  const v = headers.get('vary')
  if (!v) return []
  return v.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '')
}

/**
 * CacheabilityUtils::isCacheableResponse: not no-store/private, a storable
 * status, enough to compute freshness (no-cache, max-age/s-maxage, or Date
 * and Expires), and a Vary naming only allowed headers (never `*`).
 * A response with Set-Cookie is not stored either: the Workers Cache API
 * never stores one (Envoy's own storage would), and another client must not
 * receive someone's cookie.
 */
export function responseNotStorableReason(res: Response, varyAllowed: StringMatch): string | undefined {
  const h = res.headers
  const cc = responseCacheControl(h.get('cache-control'))
  if (cc.noStore) return 'no-store'
  if (!STORABLE_STATUS.has(res.status)) return 'status'
  if (!(cc.mustValidate || cc.maxAge !== undefined || (h.has('date') && h.has('expires')))) return 'no freshness information'
  for (const name of varyNames(h)) if (name === '*' || !varyAllowed(name)) return 'vary'
  if (h.has('set-cookie')) return 'set-cookie'
  return undefined
}

/**
 * CacheHeadersUtils::calculateAge (RFC 9111 §4.2.3), in seconds:
 * max(apparent age, Age) at reception, plus the time since.
 */
export function currentAge(headers: Headers, responseTime: number, now: number): number {
  const date = httpTime(headers.get('date')) ?? responseTime
  const ageValue = Number(headers.get('age') ?? '0')
  const apparent = Math.max(0, responseTime - date)
  const initial = Math.max(apparent, Number.isFinite(ageValue) ? ageValue * 1000 : 0)
  return Math.floor((initial + now - responseTime) / 1000)
}

/** LookupRequest::requiresValidation: whether a stored response of this age needs the upstream's word first. */
export function requiresValidation(headers: Headers, age: number, req: RequestCacheControl): boolean {
  const cc = responseCacheControl(headers.get('cache-control'))
  if (cc.mustValidate || req.mustValidate || (req.maxAge !== undefined && req.maxAge < age)) return true
  const lifetime = cc.maxAge ?? ((httpTime(headers.get('expires')) ?? 0) - (httpTime(headers.get('date')) ?? 0)) / 1000
  if (age > lifetime) {
    // Stale: served only where the response allows it and the request's max-stale covers it.
    const allowedByMaxStale = req.maxStale !== undefined && req.maxStale > age - lifetime
    return cc.noStale || !allowedByMaxStale
  }
  return req.minFresh !== undefined && req.minFresh > lifetime - age
}

/** How long a stored response stays fresh, in seconds (for the Cache API's own expiry). */
export function freshnessLifetime(headers: Headers): number {
  const cc = responseCacheControl(headers.get('cache-control'))
  if (cc.maxAge !== undefined) return cc.maxAge
  const expires = httpTime(headers.get('expires'))
  const date = httpTime(headers.get('date'))
  return expires !== undefined && date !== undefined ? Math.max(0, (expires - date) / 1000) : 0
}
