/**
 * `envoy.filters.http.decompressor` with the gzip library, on Workers'
 * DecompressionStream. Request direction (on by default): a request body whose
 * outermost Content-Encoding is gzip goes upstream decompressed, without that
 * coding and Content-Length, and (advertise_accept_encoding, default true)
 * with `gzip` added to Accept-Encoding. Response direction (on by default):
 * a gzip response reaches the client decompressed (workerd's fetch decodes it; the filter drops the coding). `Cache-Control:
 * no-transform` stops both unless ignore_no_transform_header.
 * brotli/zstd libraries: `validate` warns, bodies pass unchanged.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/decompressor_filter
 */
import type { FilterFactory } from './types.js'
import { requestWithBody } from '../context.js'

const noTransform = (h: Headers) => /(^|,)\s*no-transform\s*(,|$)/i.test(h.get('cache-control') ?? '')

/** The Content-Encoding left once the outermost (last-applied) coding is `encoding` and is removed; undefined if it is not. */
function peel(contentEncoding: string | null, encoding: string): string | undefined {
  if (!contentEncoding) return undefined
  const codings = contentEncoding.split(',').map((s) => s.trim()).filter(Boolean)
  if (codings.at(-1)?.toLowerCase() !== encoding) return undefined
  return codings.slice(0, -1).join(', ')
}

function decode(headers: Headers, rest: string): Headers {
  if (rest) headers.set('content-encoding', rest)
  else headers.delete('content-encoding')
  headers.delete('content-length')
  return headers
}

export const decompressorFilter: FilterFactory<'decompressor'> = {
  kind: 'decompressor',
  name: 'envoy.filters.http.decompressor',
  statName: 'decompressor',
  create(config, { count }) {
    const { encoding, statPrefix: stat } = config
    const requestOn = config.request.enabled
    const responseOn = config.response.enabled
    const advertise = config.request.advertiseAcceptEncoding
    return async (c, next) => {
      const req = c.req.raw
      const reqRest = peel(req.headers.get('content-encoding'), encoding)
      const canDecodeRequest = requestOn && reqRest !== undefined && req.body && (config.request.ignoreNoTransform || !noTransform(req.headers))
      if (canDecodeRequest || advertise) {
        // The request's own header map (the connection manager's copy), changed in place.
        const headers = canDecodeRequest ? decode(req.headers, reqRest!) : req.headers
        if (advertise) {
          const ae = headers.get('accept-encoding')
          if (!ae || !ae.toLowerCase().split(',').some((t) => t.split(';')[0]!.trim() === encoding)) headers.set('accept-encoding', ae ? `${ae}, ${encoding}` : encoding)
        }
        if (canDecodeRequest) {
          // A new body needs a new Request; it carries the same header map.
          c.req.raw = requestWithBody(req, req.body!.pipeThrough(new DecompressionStream('gzip')))
          count(`${stat}request.decompressed`)
        } else count(`${stat}request.not_decompressed`)
      }
      await next()
      if (!responseOn) return
      const res = c.res
      // workerd's fetch() already decodes a `Content-Encoding: gzip` body as it is read (keeping the
      // header; the runtime re-encodes when serving). So the response is decompressed by dropping the
      // coding from the headers, over the body as it is. Only a sole gzip coding is decoded by workerd.
      const coding = res.headers.get('content-encoding')?.trim().toLowerCase()
      if (coding !== encoding || !res.body || (!config.response.ignoreNoTransform && noTransform(res.headers))) return count(`${stat}response.not_decompressed`)
      const plain = new Response(res.body, { status: res.status, statusText: res.statusText, headers: decode(new Headers(res.headers), '') })
      // Cleared first: Hono's c.res setter copies the old response's headers over the new one's.
      c.res = undefined
      c.res = plain
      count(`${stat}response.decompressed`)
    }
  },
}
