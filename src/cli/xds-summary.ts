/**
 * What `validate` and `dev` say about a config's xDS sources: which types are
 * polled, from where, how often, and what a listener-less bootstrap serves
 * until the control plane answers (docs/xds.md).
 */
import { xdsSources, type XdsSource } from '../xds/source.js'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** One line per control plane polled, or none for a config without REST xDS. */
export function xdsLines(json: unknown): string[] {
  if (!isObject(json)) return []
  const sources = xdsSources(json)
  if (!sources.ok) return []
  // LDS brings RDS and CDS brings EDS unless a static listener or cluster names its own source.
  const types: [string, XdsSource | undefined][] = [
    ['LDS', sources.lds],
    ['RDS', sources.rds ?? sources.lds],
    ['CDS', sources.cds],
    ['EDS', sources.eds ?? sources.cds],
  ]
  const byUrl = new Map<string, { source: XdsSource; types: string[] }>()
  for (const [type, source] of types) {
    if (!source) continue
    const entry = byUrl.get(source.baseUrl) ?? { source, types: [] }
    entry.types.push(type)
    byUrl.set(source.baseUrl, entry)
  }
  return [...byUrl.values()].map(
    ({ source, types: t }) => `xDS: ${t.join(', ')} polled (REST) from ${source.baseUrl}/v3/discovery:* (cluster "${source.clusterName}") every ${source.refreshDelayMs / 1000}s`,
  )
}
