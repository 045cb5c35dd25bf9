/**
 * The cache filter's storage: Envoy's HttpCache over the Workers Cache API.
 *
 * Keys follow Envoy's (http_cache.cc LookupRequest: scheme, host, path with
 * query), narrowed by key_creator_params as cache.proto describes. A key is a
 * synthetic URL whose whole path is ours (`/.edgevoy-cache/<scheme>/<path,
 * percent-encoded>`), so no request URL can name another request's entry.
 *
 * An entry keeps the upstream's status and headers in one header of its own
 * and the Cache API sees only `Cache-Control: public, max-age=N`: the Cache
 * API's own rules (its Vary and conditional handling, Set-Cookie stripping,
 * rewriting Age) never touch what is served. N is the freshness lifetime plus
 * STALE_KEEP_S, so stale entries stay for revalidation as in Envoy's store.
 *
 * A response with Vary is stored like Envoy's SimpleHttpCache stores one: a
 * marker at the key listing the Vary names, the response itself under the key
 * plus the request's values of those headers (VaryHeaderUtils::createVaryIdentifier).
 */
import type { CacheFilterConfig } from '../../compile/types.js'
import { freshnessLifetime } from './policy.js'

/** One Cache API cache for every cache filter, as Envoy shares one SimpleHttpCache. */
export const CACHE_NAME = 'envoy.filters.http.cache'
/** How long a stale entry is kept for revalidation (Envoy's in-memory store keeps it until evicted). */
export const STALE_KEEP_S = 86_400
const ENTRY = 'x-edgevoy-cache-entry'
const ANY_HOST = 'any-host.edgevoy.invalid'

interface EntryMeta {
  /** Status, headers and the time the response was received (ms), or the Vary names of a marker. */
  readonly s?: number
  readonly h?: [string, string][]
  readonly t?: number
  readonly vary?: string[]
}

export interface CachedResponse {
  /** The Cache API key it was found under (the variant's for a Vary response). */
  readonly key: string
  readonly status: number
  readonly headers: Headers
  readonly responseTime: number
  readonly body: ReadableStream | null
}

/** The path and the query parameters key_creator_params keeps (raw, as Envoy's QueryParameterMatcher reads them). */
function keyPath(url: URL, cfg: CacheFilterConfig): string {
  if (url.search === '' || (cfg.queryIncluded.length === 0 && cfg.queryExcluded.length === 0)) return url.pathname + url.search
  const matches = (list: CacheFilterConfig['queryIncluded'], name: string, value: string) => list.some((m) => m.name === name && m.value(value))
  const kept = url.search.slice(1).split('&').filter((part) => {
    const eq = part.indexOf('=')
    const [name, value] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]
    // cache.proto: excluded wins "even if also matched by query_parameters_included".
    return (cfg.queryIncluded.length === 0 || matches(cfg.queryIncluded, name, value)) && !matches(cfg.queryExcluded, name, value)
  })
  return kept.length ? `${url.pathname}?${kept.join('&')}` : url.pathname
}

export function cacheKey(url: URL, cfg: CacheFilterConfig): string {
  const host = cfg.excludeHost ? ANY_HOST : url.host
  const scheme = cfg.excludeScheme ? '-' : url.protocol.slice(0, -1)
  return `https://${host}/.edgevoy-cache/${scheme}/${encodeURIComponent(keyPath(url, cfg))}`
}

/** The variant key of a Vary response: the request's values of the varied headers (sorted by name). */
function variantKey(key: string, names: readonly string[], request: Headers): string {
  const id = [...names].sort().map((n) => `${n}\r${request.get(n) ?? ''}\n`).join('')
  return `${key}/${encodeURIComponent(id)}`
}

const meta = (res: Response): EntryMeta | undefined => {
  try {
    return JSON.parse(res.headers.get(ENTRY) ?? '') as EntryMeta
  } catch {
    return undefined
  }
}

/** The stored response for this request, or undefined (a miss). */
export async function lookup(cache: Cache, key: string, request: Headers, varyAllowed: (name: string) => boolean): Promise<CachedResponse | undefined> {
  let res = await cache.match(key)
  let m = res && meta(res)
  if (res && m?.vary) {
    await res.body?.cancel()
    // An allow list that no longer admits a varied header makes the entry unusable (createVaryIdentifier).
    if (!m.vary.every(varyAllowed)) return undefined
    key = variantKey(key, m.vary, request)
    res = await cache.match(key)
    m = res && meta(res)
  }
  if (!res || !m || m.s === undefined || !m.h || m.t === undefined) {
    await res?.body?.cancel()
    return undefined
  }
  return { key, status: m.s, headers: new Headers(m.h), responseTime: m.t, body: res.body }
}

/**
 * The cache's half of a teed body whose length is not known, when
 * max_body_bytes is set: held (at most `max` bytes) until it ends, then
 * stored whole; past the limit it is dropped and the rest read and discarded
 * — never cancelled (that could cut the client's half short) and never left
 * unread (the tee would hold it in memory). A stream handed to the Cache API
 * is never aborted half-way: only complete bodies reach `put`.
 */
async function readUpTo(source: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array | undefined> {
  const reader = source.getReader()
  const chunks: Uint8Array[] = []
  let seen = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    seen += value.byteLength
    if (seen <= max) chunks.push(value)
    else chunks.length = 0
  }
  if (seen > max) return undefined
  const body = new Uint8Array(seen)
  let at = 0
  for (const c of chunks) {
    body.set(c, at)
    at += c.byteLength
  }
  return body
}

/** Seconds the Cache API keeps an entry: its freshness lifetime, then STALE_KEEP_S for revalidation. */
const keepFor = (headers: Headers) => Math.ceil(freshnessLifetime(headers)) + STALE_KEEP_S

function storedResponse(status: number, headers: Headers, responseTime: number, body: BodyInit | null): Response {
  const m: EntryMeta = { s: status, h: [...headers], t: responseTime }
  return new Response(body, { headers: { 'cache-control': `public, max-age=${keepFor(headers)}`, [ENTRY]: JSON.stringify(m) } })
}

/** Statuses whose responses have no body (a Response with one would throw). */
export const nullBodyStatus = (status: number) => status === 101 || status === 204 || status === 205 || status === 304

export interface Insert {
  readonly cache: Cache
  /** The base key, and the request headers a Vary response is keyed by. */
  readonly key: string
  readonly request: Headers
  readonly varyNames: readonly string[]
  readonly responseTime: number
  readonly maxBodyBytes: number
}

/**
 * Stores `res` while it streams to the client: the body is teed, the cache's
 * half stops (and nothing is stored) past max_body_bytes, the client's half is
 * never cut. Returns the client's response and the store's completion.
 */
export function insert(res: Response, ins: Insert): { response: Response; stored: Promise<boolean> } {
  const length = Number(res.headers.get('content-length') ?? NaN)
  if (ins.maxBodyBytes > 0 && length > ins.maxBodyBytes) return { response: res, stored: Promise.resolve(false) }
  const [client, cached] = res.body && !nullBodyStatus(res.status) ? res.body.tee() : [null, null]
  const headers = new Headers(res.headers)
  // RFC 9110 §6.6.1: a cache records the time it received a response without Date.
  if (!headers.has('date')) headers.set('date', new Date(ins.responseTime).toUTCString())
  const key = ins.varyNames.length ? variantKey(ins.key, ins.varyNames, ins.request) : ins.key
  const stored = (async () => {
    // A known length was checked above; an unknown one is held up to max_body_bytes.
    const body = cached && ins.maxBodyBytes > 0 && !Number.isFinite(length) ? await readUpTo(cached, ins.maxBodyBytes) : cached
    if (body === undefined) return false
    await ins.cache.put(key, storedResponse(res.status, headers, ins.responseTime, body))
    if (ins.varyNames.length) await ins.cache.put(ins.key, new Response(null, { headers: { 'cache-control': `public, max-age=${keepFor(headers)}`, [ENTRY]: JSON.stringify({ vary: ins.varyNames }) } }))
    return true
  })().catch(() => false)
  return { response: new Response(client, { status: res.status, statusText: res.statusText, headers: res.headers }), stored }
}

/** Replaces a stored response's headers (after a 304), its body read from the entry itself. */
export function update(cache: Cache, entry: CachedResponse, status: number, headers: Headers, responseTime: number, body: ReadableStream | null): Promise<boolean> {
  return cache.put(entry.key, storedResponse(status, headers, responseTime, body)).then(() => true, () => false)
}
