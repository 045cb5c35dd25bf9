/**
 * Envoy's path normalization, applied by the connection manager before any
 * filter or route sees the path (ConnectionManagerUtility::maybeNormalizePath):
 * escaped slashes first (path_with_escaped_slashes_action), then RFC 3986
 * normalization (normalize_path), then merge_slashes. The query is never touched.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#envoy-v3-api-field-extensions-filters-network-http-connection-manager-v3-httpconnectionmanager-normalize-path
 *
 * The input is a pathname as workerd's URL parser left it: dot segments
 * (also `%2e` ones) are already resolved and `\` is already `/` — more than
 * Envoy does with normalize_path off (docs/differences.md).
 */
import type { DownstreamPolicy } from '../compile/types.js'

export type NormalizeResult =
  | { readonly action: 'continue'; readonly pathname: string }
  /** REJECT_REQUEST, or a path RFC 3986 normalization refuses (`%00`): Envoy answers 400. */
  | { readonly action: 'reject' }
  /** UNESCAPE_AND_REDIRECT found an escaped slash: Envoy answers 307 to the normalized path. */
  | { readonly action: 'redirect'; readonly pathname: string }

const ESCAPED_SLASH = /%2f|%5c/i
/** RFC 3986 §2.3 unreserved characters: percent-decoding them never changes meaning (§6.2.2.2). */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/

export function normalizePathname(pathname: string, policy: Pick<DownstreamPolicy, 'normalizePath' | 'mergeSlashes' | 'escapedSlashes'>): NormalizeResult {
  let path = pathname
  let redirect = false
  if (policy.escapedSlashes !== 'KEEP_UNCHANGED' && ESCAPED_SLASH.test(path)) {
    if (policy.escapedSlashes === 'REJECT_REQUEST') return { action: 'reject' }
    // Envoy unescapes %5C to `\`; a URL path here cannot hold one (the WHATWG
    // parser reads it as `/`), so both become `/`.
    path = path.replace(/%2f|%5c/gi, '/')
    redirect = policy.escapedSlashes === 'UNESCAPE_AND_REDIRECT'
  }
  if (policy.normalizePath) {
    const normalized = rfc3986Normalize(path)
    if (normalized === undefined) return { action: 'reject' }
    path = normalized
  }
  // Merged after normalization "to catch potential edge cases with percent encoding" (Envoy).
  if (policy.mergeSlashes) path = path.replace(/\/{2,}/g, '/')
  return redirect ? { action: 'redirect', pathname: path } : { action: 'continue', pathname: path }
}

/**
 * RFC 3986 §6.2.2: percent-encoded unreserved characters decoded, then dot
 * segments removed (§5.2.4). Other escapes are kept as written, as Envoy's
 * canonicalizer (Chromium's) keeps them; an escaped NUL is invalid.
 */
export function rfc3986Normalize(path: string): string | undefined {
  if (/%00/.test(path)) return undefined
  const decoded = path.replace(/%([0-9a-fA-F]{2})/g, (whole, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16))
    return UNRESERVED.test(ch) ? ch : whole
  })
  return removeDotSegments(decoded.startsWith('/') ? decoded : `/${decoded}`)
}

/** RFC 3986 §5.2.4, for an absolute path. */
export function removeDotSegments(path: string): string {
  const segments = path.split('/')
  const out: string[] = []
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!
    const last = i === segments.length - 1
    if (s === '.' || s === '..') {
      if (s === '..') out.pop()
      // A trailing dot segment leaves the path ending in "/".
      if (last) out.push('')
      continue
    }
    out.push(s)
  }
  return `/${out.join('/')}`
}
