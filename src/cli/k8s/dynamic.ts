import { parse } from 'yaml'

/** Whether a config (YAML or JSON text) takes its listeners from a control plane (dynamic_resources.lds_config). */
export function hasLds(text: string): boolean {
  try {
    const doc = parse(text) as { dynamic_resources?: { lds_config?: unknown } } | null
    return typeof doc?.dynamic_resources?.lds_config === 'object' && doc.dynamic_resources.lds_config !== null
  } catch {
    return false
  }
}
