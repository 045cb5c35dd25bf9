/**
 * Config problems, shaped like zod's issues (`path`, `message`, `code`) plus
 * where they are in the source text. Errors reject the config whole; warnings
 * say what edgevoy reads but does not act on — never silently dropped.
 */

export type ConfigPath = readonly (string | number)[]

export interface ConfigIssue {
  readonly severity: 'error' | 'warning'
  /** Stable machine-readable kind, e.g. `invalid_enum`, `unknown_field`, `missing_cluster`. */
  readonly code: string
  readonly path: ConfigPath
  readonly message: string
  /** 1-based position in the YAML/JSON source, when the config came from text. */
  readonly line?: number
  readonly column?: number
}

/** `static_resources.clusters[0].lb_policy` — the path form Envoy users read. */
export function formatPath(path: ConfigPath): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out ? `.${part}` : part
  }
  return out || '(root)'
}

/** One line per issue: `file:line:col: error: path: message`. */
export function formatIssue(issue: ConfigIssue, file?: string): string {
  const where = issue.line !== undefined ? `${file ?? '<config>'}:${issue.line}:${issue.column ?? 1}: ` : file ? `${file}: ` : ''
  return `${where}${issue.severity}: ${formatPath(issue.path)}: ${issue.message}`
}
