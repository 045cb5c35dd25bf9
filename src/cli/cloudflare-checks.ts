/**
 * What works locally but not once deployed: on Cloudflare, a Worker's fetch()
 * sends a custom port's request to the scheme's default port, and refuses
 * IP-address URLs ("Direct IP access not allowed"). Both work under Miniflare,
 * which hides the problem until deploy — so `validate --target cloudflare`
 * says so per endpoint. An endpoint forwarded through a service binding
 * (`filter_metadata: { edgevoy: { binding: NAME } }`) is not fetched by URL
 * and is exempt.
 * https://developers.cloudflare.com/workers/platform/known-issues/
 */
import type { ConfigIssue } from '../config/issues.js'
import type { Snapshot } from '../compile/types.js'

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/
const isIpLiteral = (host: string) => IPV4.test(host) || host.includes(':') || host.startsWith('[')

export function cloudflareWarnings(snapshot: Snapshot): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  // The snapshot keeps clusters in config order, so the index is the config's.
  ;[...snapshot.clusters.values()].forEach((cluster, ci) => {
    for (const host of cluster.hosts) {
      if (host.binding) continue
      const defaultPort = host.origin.startsWith('https:') ? 443 : 80
      const reasons: string[] = []
      if (isIpLiteral(host.hostname)) reasons.push('fetch() refuses IP-address URLs')
      else if (!host.hostname.includes('.')) reasons.push(`"${host.hostname}" is not a public DNS name`)
      if (host.port !== defaultPort) reasons.push(`fetch() ignores port ${host.port} and connects to :${defaultPort}`)
      if (!reasons.length) continue
      issues.push({
        severity: 'warning',
        code: 'cloudflare_unreachable_endpoint',
        path: ['static_resources', 'clusters', ci],
        message: `cluster ${cluster.name} endpoint ${host.address}: on Cloudflare ${reasons.join(', and ')}; use a service binding (filter_metadata: { edgevoy: { binding: NAME } })`,
      })
    }
  })
  return issues
}
