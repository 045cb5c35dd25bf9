/**
 * The listener's compiled `access_log` list → functions that write one line
 * per request with `console.log` (what `wrangler tail`, Workers Logs and
 * `edgevoy dev` show), or `console.error` for the stderr logger.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/access_loggers/file/v3/file.proto
 */
import type { AccessLogIR, JsonFieldIR } from '../../compile/ir.js'
import { compileFormat, renderJsonValue, renderText, type CompiledFormat } from './format.js'
import type { LogRecord } from './record.js'

export type AccessLogger = (record: LogRecord) => void

export interface LogSinks {
  readonly stdout: (line: string) => void
  readonly stderr: (line: string) => void
}

const consoleSinks: LogSinks = { stdout: (l) => console.log(l), stderr: (l) => console.error(l) }

export function buildAccessLoggers(entries: readonly AccessLogIR[] | undefined, sinks: LogSinks = consoleSinks): AccessLogger[] {
  return (entries ?? []).map((entry) => buildLogger(entry, sinks))
}

function buildLogger(entry: AccessLogIR, sinks: LogSinks): AccessLogger {
  const write = entry.sink === 'stderr' ? sinks.stderr : sinks.stdout
  const omit = entry.omitEmpty === true
  let render: (r: LogRecord) => string
  if (entry.json) {
    const template = compileJson(entry.json)
    render = (r) => JSON.stringify(renderJson(template, r, omit))
  } else {
    const compiled = compileFormat(entry.text ?? [])
    render = (r) => renderText(compiled, r, omit)
  }
  // console adds its own line end: drop the format's trailing newline.
  return (record) => write(render(record).replace(/\r?\n$/, ''))
}

type JsonTemplate = readonly (readonly [key: string, value: CompiledFormat | JsonTemplate | number | boolean | null])[]

/** `json_format`: one JSON object per line; nested objects are kept. */
function compileJson(fields: readonly JsonFieldIR[]): JsonTemplate {
  return fields.map((f) => [f.key, 'format' in f ? compileFormat(f.format) : 'nested' in f ? compileJson(f.nested) : f.literal] as const)
}

function renderJson(t: JsonTemplate, r: LogRecord, omitEmpty: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of t) {
    const value = Array.isArray(v) ? renderJson(v as JsonTemplate, r, omitEmpty) : v !== null && typeof v === 'object' ? renderJsonValue(v as CompiledFormat, r) : v
    if (omitEmpty && (value === null || value === '')) continue
    out[k] = value
  }
  return out
}
