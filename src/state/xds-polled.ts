/**
 * Control plane: does this base config need the xDS poller? With REST
 * `dynamic_resources`, or static listeners that use rds, or static EDS
 * clusters with an eds_config (src/xds/source.ts). Decided where the config
 * is compiled, so the data plane only reads a flag.
 */
import { xdsSources } from '../xds/source.js'

export function needsXdsPoller(source: unknown): boolean {
  const seed = source as Record<string, unknown> | null
  if (!seed || typeof seed !== 'object') return false
  return Boolean(seed.dynamic_resources) || xdsSources(seed).ok
}
