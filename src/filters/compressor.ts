/**
 * `envoy.filters.http.compressor` with the gzip library, on Workers'
 * CompressionStream. A response is compressed only when Envoy would: the
 * client accepts the encoding, it is not a HEAD request, the response has no
 * Content-Encoding and no `Cache-Control: no-transform`, its Content-Type is
 * in the list (Envoy's default list when none is set), its Content-Length (if
 * known) is at least min_content_length (default 30), and with
 * disable_on_etag_header it has no ETag (else a strong ETag becomes weak).
 * Compressed responses lose Content-Length and gain `Vary: Accept-Encoding`.
 * Request bodies are not compressed (`validate` warns where request_direction_config enables it).
 * brotli/zstd libraries: `validate` warns, bodies pass unchanged.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/compressor_filter
 */
import { editRequestHeaders } from './request.js'
import type { FilterFactory } from './types.js'

/** Whether Accept-Encoding admits `encoding` (RFC 9110 §12.5.3: q=0 refuses; `*` stands for any other coding). */
export function accepts(acceptEncoding: string | undefined, encoding: string): boolean {
  if (!acceptEncoding) return false
  let star: boolean | undefined
  for (const part of acceptEncoding.split(',')) {
    const [token, ...params] = part.trim().split(';')
    const name = token!.trim().toLowerCase()
    const qParam = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    const q = qParam ? Number(qParam.slice(2)) : 1
    if (name === encoding) return q > 0
    if (name === '*') star = q > 0
  }
  return star === true
}

const mediaType = (contentType: string | null) => (contentType ?? '').split(';')[0]!.trim().toLowerCase()

const lengthAllows = (length: string | null, min: number) => length === null || Number(length) >= min

export const compressorFilter: FilterFactory<'compressor'> = {
  kind: 'compressor',
  name: 'envoy.filters.http.compressor',
  statName: 'compressor',
  create(config, { count }) {
    const { encoding, statPrefix: stat, disableOnEtag, removeAcceptEncoding } = config
    const response = { enabled: config.enabled, minLength: config.minContentLength, types: config.contentTypes }
    const native = encoding === 'gzip'
    return async (c, next) => {
      const acceptEncoding = c.req.header('accept-encoding')
      const wantsIt = response.enabled && accepts(acceptEncoding, encoding)
      if (removeAcceptEncoding && acceptEncoding !== undefined) editRequestHeaders(c, (h) => h.delete('accept-encoding'))
      await next()
      if (!response.enabled) return
      count(`${stat}total_uncompressed_requests`)
      const res = c.res
      const h = res.headers
      if (!wantsIt) return count(`${stat}not_compressed`)
      if (!native || !res.body || c.req.method === 'HEAD' || h.has('content-encoding') || /(^|,)\s*no-transform\s*(,|$)/i.test(h.get('cache-control') ?? '')) return count(`${stat}not_compressed`)
      if (!response.types.includes(mediaType(h.get('content-type')))) return count(`${stat}header_not_valid`)
      if (!lengthAllows(h.get('content-length'), response.minLength)) return count(`${stat}content_length_too_small`)
      const etag = h.get('etag')
      if (etag && disableOnEtag) return count(`${stat}not_compressed_etag`)
      const headers = new Headers(h)
      headers.set('content-encoding', encoding)
      headers.delete('content-length')
      headers.append('vary', 'Accept-Encoding')
      if (etag && !etag.startsWith('W/')) headers.set('etag', `W/${etag}`)
      // encodeBody 'manual': the body is already gzip; workerd must not encode it again when serving.
      // Cleared first: Hono's c.res setter copies the old response's headers (Content-Length, ETag) over the new one's.
      const compressed = new Response(res.body.pipeThrough(new CompressionStream('gzip')), { status: res.status, statusText: res.statusText, headers, encodeBody: 'manual' } as ResponseInit)
      c.res = undefined
      c.res = compressed
      count(`${stat}compressed`)
    }
  },
}
