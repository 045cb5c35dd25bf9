/**
 * `extensions.filters.http.compressor.v3.Compressor` and
 * `decompressor.v3.Decompressor` with the gzip / brotli / zstd libraries.
 * Workers' CompressionStream speaks gzip and deflate only, so brotli and zstd
 * libraries are accepted with a warning and leave bodies as they are.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/compressor/v3/compressor.proto
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/decompressor/v3/decompressor.proto
 */
import { z } from 'zod'
import { envoyObject, opaque, uint32, wrapped } from '../envoy-object.js'
import { runtimeFeatureFlag } from './common.js'
import { warnWhen } from './warn.js'

const LIBRARY_ENCODINGS: Readonly<Record<string, 'gzip' | 'br' | 'zstd'>> = {
  'type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip': 'gzip',
  'type.googleapis.com/envoy.extensions.compression.gzip.decompressor.v3.Gzip': 'gzip',
  'type.googleapis.com/envoy.extensions.compression.brotli.compressor.v3.Brotli': 'br',
  'type.googleapis.com/envoy.extensions.compression.brotli.decompressor.v3.Brotli': 'br',
  'type.googleapis.com/envoy.extensions.compression.zstd.compressor.v3.Zstd': 'zstd',
  'type.googleapis.com/envoy.extensions.compression.zstd.decompressor.v3.Zstd': 'zstd',
}

/** `config.core.v3.TypedExtensionConfig` naming a compression library; its tuning (levels, windows) is Envoy's zlib's, not used. */
const library = envoyObject({ name: z.string(), typed_config: opaque }).transform((lib, ctx) => {
  const type = typeof lib.typed_config['@type'] === 'string' ? lib.typed_config['@type'] : ''
  const encoding = LIBRARY_ENCODINGS[type]
  if (!encoding) {
    ctx.addIssue({ code: 'custom', path: ['typed_config', '@type'], message: `unknown compression library "${type}": expected one of ${Object.keys(LIBRARY_ENCODINGS).join(', ')}` })
    return z.NEVER
  }
  // The library's tuning (levels, windows, strategy) is said by notDone, not dropped.
  return { name: lib.name, encoding, tuning: Object.keys(lib.typed_config).filter((k) => k !== '@type') }
})

const compressorCommon = envoyObject({
  enabled: runtimeFeatureFlag.optional(),
  min_content_length: wrapped(uint32).optional(),
  content_type: z.array(z.string()).optional(),
})

type Checked = { library: { encoding: string; tuning: readonly string[] }; request_direction_config?: { common_config?: { enabled?: { default_value: boolean } | undefined } | undefined } | undefined }

/** What edgevoy does not do of this config, for `validate` (undefined: everything is done). */
const notDone = (what: 'compressor' | 'decompressor') => (c: Checked) => {
  const gaps: string[] = []
  if (c.library.encoding !== 'gzip')
    gaps.push(`${what} library "${c.library.encoding}" is not available in Workers (CompressionStream has gzip and deflate only): ${what === 'compressor' ? "responses pass uncompressed by edgevoy (Cloudflare compresses at the edge by the client's Accept-Encoding)" : 'bodies pass still encoded'}`)
  // Said rather than dropped: the bytes differ from Envoy's, the meaning does not.
  if (c.library.encoding === 'gzip' && c.library.tuning.length)
    gaps.push(`${what} library settings ${c.library.tuning.join(', ')} are not applied: Workers' ${what === 'compressor' ? 'CompressionStream' : 'DecompressionStream'} has fixed settings (the body is the same once decoded)`)
  if (what === 'compressor' && c.request_direction_config && c.request_direction_config.common_config?.enabled?.default_value !== false)
    gaps.push('request_direction_config: edgevoy does not compress request bodies; requests go upstream as the client sent them')
  return gaps.length ? gaps.join('; ') : undefined
}

export const compressorFilter = warnWhen(
  envoyObject(
    {
      '@type': z.string().optional(),
      compressor_library: library,
      response_direction_config: envoyObject({
        common_config: compressorCommon.optional(),
        disable_on_etag_header: z.boolean().optional(),
        remove_accept_encoding_header: z.boolean().optional(),
      }).optional(),
      request_direction_config: envoyObject({ common_config: compressorCommon.optional() }).optional(),
      // Deprecated v3 fields, the response direction's before response_direction_config existed.
      content_length: wrapped(uint32).optional(),
      content_type: z.array(z.string()).optional(),
      disable_on_etag_header: z.boolean().optional(),
      remove_accept_encoding_header: z.boolean().optional(),
      runtime_enabled: runtimeFeatureFlag.optional(),
    },
    { ignored: ['choose_first'] },
  ).transform((c) => ({ ...c, library: c.compressor_library })),
  notDone('compressor'),
)
export type CompressorConfig = z.output<typeof compressorFilter>

const decompressorCommon = envoyObject({ enabled: runtimeFeatureFlag.optional(), ignore_no_transform_header: z.boolean().optional() })

export const decompressorFilter = warnWhen(
  envoyObject({
    '@type': z.string().optional(),
    decompressor_library: library,
    request_direction_config: envoyObject({ common_config: decompressorCommon.optional(), advertise_accept_encoding: wrapped(z.boolean()).optional() }).optional(),
    response_direction_config: envoyObject({ common_config: decompressorCommon.optional() }).optional(),
  }).transform((c) => ({ ...c, library: c.decompressor_library })),
  notDone('decompressor'),
)
export type DecompressorConfig = z.output<typeof decompressorFilter>
