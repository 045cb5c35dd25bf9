/**
 * The HTTP connection manager's `access_log` list → functions that write one
 * line per request with `console.log` (what `wrangler tail`, Workers Logs and
 * `edgevoy dev` show). A Worker has no files: `path: /dev/stdout`, any other
 * path and the stdout logger all mean the console; the stderr logger means
 * `console.error`.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/access_loggers/file/v3/file.proto
 */
import type { AccessLogConfig } from '../../config/schema/access-log.js'
import { compileFormat, DEFAULT_FORMAT, renderJsonValue, renderText, type CompiledFormat } from './format.js'
import type { LogRecord } from './record.js'

export type AccessLogger = (record: LogRecord) => void

export interface LogSinks {
  readonly stdout: (line: string) => void
  readonly stderr: (line: string) => void
}

const consoleSinks: LogSinks = { stdout: (l) => console.log(l), stderr: (l) => console.error(l) }

export function buildAccessLoggers(entries: readonly unknown[] | undefined, sinks: LogSinks = consoleSinks): AccessLogger[] {
  return (entries ?? []).map((raw) => buildLogger(raw as AccessLogConfig, sinks))
}

function buildLogger(entry: AccessLogConfig, sinks: LogSinks): AccessLogger {
  const cfg = entry.typed_config ?? entry.config ?? {}
  const type = typeof cfg['@type'] === 'string' ? cfg['@type'] : ''
  const toStderr = entry.name === 'envoy.access_loggers.stderr' || type.endsWith('.StderrAccessLog') || cfg.path === '/dev/stderr'
  const write = toStderr ? sinks.stderr : sinks.stdout
  const render = renderer(cfg)
  // console adds its own line end: drop the format's trailing newline.
  return (record) => write(render(record).replace(/\r?\n$/, ''))
}

function renderer(cfg: NonNullable<AccessLogConfig['typed_config']>): (r: LogRecord) => string {
  const lf = cfg.log_format
  const json = cfg.json_format ?? cfg.typed_json_format ?? lf?.json_format
  if (json) return jsonRenderer(json, lf?.omit_empty_values === true)
  const text = cfg.format ?? lf?.text_format ?? lf?.text_format_source?.inline_string ?? lf?.text_format_source?.inline_bytes
  const compiled = compileFormat(text ?? DEFAULT_FORMAT)
  const omit = lf?.omit_empty_values === true
  return (r) => renderText(compiled, r, omit)
}

type JsonTemplate = { readonly [key: string]: CompiledFormat | JsonTemplate | string | number | boolean | null }

/** `json_format`: one JSON object per line; nested objects are kept. */
function jsonRenderer(format: Record<string, unknown>, omitEmpty: boolean): (r: LogRecord) => string {
  const template = compileJson(format)
  return (r) => JSON.stringify(renderJson(template, r, omitEmpty))
}

function compileJson(format: Record<string, unknown>): JsonTemplate {
  const out: Record<string, JsonTemplate[string]> = {}
  for (const [k, v] of Object.entries(format)) {
    if (typeof v === 'string') out[k] = compileFormat(v)
    else if (v !== null && typeof v === 'object') out[k] = compileJson(v as Record<string, unknown>)
    else out[k] = v as number | boolean | null
  }
  return out
}

function isCompiled(v: unknown): v is CompiledFormat {
  return v !== null && typeof v === 'object' && Array.isArray((v as CompiledFormat).parts)
}

function renderJson(t: JsonTemplate, r: LogRecord, omitEmpty: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(t)) {
    const value = isCompiled(v) ? renderJsonValue(v, r) : v !== null && typeof v === 'object' ? renderJson(v as JsonTemplate, r, omitEmpty) : v
    if (omitEmpty && (value === null || value === '')) continue
    out[k] = value
  }
  return out
}
