/**
 * The oauth2 filter's checks across the config: its token endpoint names a
 * defined cluster (Envoy refuses the filter otherwise: "OAuth2 filter: unknown
 * cluster '…' in config"), and a secret with no inline value in
 * static_resources.secrets is said to come from the Worker secret of that name.
 * https://github.com/envoyproxy/envoy/blob/main/source/extensions/filters/http/oauth2/filter.cc (FilterConfig)
 */
import type { ConfigPath } from './issues.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any
const OAUTH2 = 'envoy.filters.http.oauth2'
const OAUTH2_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2'

export function checkOAuth2Filters(
  httpFilters: unknown,
  path: ConfigPath,
  clusters: ReadonlySet<string>,
  inlineSecrets: ReadonlySet<string>,
  report: { error(path: ConfigPath, code: string, message: string): void; warn(path: ConfigPath, code: string, message: string): void },
): void {
  if (!Array.isArray(httpFilters)) return
  httpFilters.forEach((f: Loose, i) => {
    if (f?.name !== OAUTH2 && f?.typed_config?.['@type'] !== OAUTH2_TYPE) return
    const config = f?.typed_config?.config
    if (!config || typeof config !== 'object') return
    const at = [...path, i, 'typed_config', 'config']
    const cluster = config.token_endpoint?.cluster
    if (typeof cluster === 'string' && !clusters.has(cluster))
      report.error([...at, 'token_endpoint', 'cluster'], 'missing_cluster', `OAuth2 filter: unknown cluster "${cluster}" in token_endpoint: the token exchange is sent through it`)
    for (const which of ['token_secret', 'hmac_secret'] as const) {
      const name = config.credentials?.[which]?.name
      if (typeof name === 'string' && !inlineSecrets.has(name))
        report.warn([...at, 'credentials', which, 'name'], 'oauth2_secret', `secret "${name}" has no generic_secret in static_resources.secrets: the Worker must have a secret named "${name}" (wrangler secret put ${name}); without it the filter answers 503`)
    }
  })
}
