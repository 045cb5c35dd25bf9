/**
 * `config.accesslog.v3.AccessLog` entries of the HTTP connection manager.
 * Only loggers that can write to the Worker's console are accepted: the file
 * logger (any `path` — a Worker has no files, so every path means console),
 * the stdout/stderr stream loggers, and their v2 names.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/accesslog/v3/accesslog.proto
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/access_loggers/file/v3/file.proto
 */
import { z } from 'zod'
import { envoyObject, opaque, WARNING, warningMode } from './envoy-object.js'

/** `config.core.v3.DataSource`: only inline forms make sense without a file system. */
const dataSource = envoyObject(
  { inline_string: z.string().optional(), inline_bytes: z.string().optional() },
  { unsupported: { filename: 'a Worker has no file system: use inline_string' } },
)

/** A `json_format` value: strings with command operators, nested objects, or literals. */
const jsonFormat: z.ZodType<Record<string, unknown>> = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.lazy(() => jsonFormat)]),
)

/** `config.core.v3.SubstitutionFormatString` (`log_format`). */
export const substitutionFormat = envoyObject(
  {
    text_format: z.string().optional(),
    text_format_source: dataSource.optional(),
    json_format: jsonFormat.optional(),
    omit_empty_values: z.boolean().optional(),
    content_type: z.string().optional(),
  },
  { ignored: ['formatters', 'json_format_options'], notApplied: { content_type: 'access log lines are written as text or JSON; no content type is attached' } },
)

/** The typed config of a file / stdout / stderr logger (v3 `log_format`, or v2 `format` / `json_format`). */
const loggerConfig = envoyObject(
  {
    '@type': z.string().optional(),
    path: z.string().optional(),
    format: z.string().optional(),
    json_format: jsonFormat.optional(),
    typed_json_format: jsonFormat.optional(),
    log_format: substitutionFormat.optional(),
  },
  { ignored: ['buffer_size_bytes', 'buffer_flush_interval'] },
)

export const ACCESS_LOGGER_NAMES = [
  'envoy.access_loggers.file',
  'envoy.file_access_log',
  'envoy.access_loggers.stdout',
  'envoy.access_loggers.stderr',
  'envoy.access_loggers.stream',
] as const

const LOGGER_TYPES = /\.(FileAccessLog|StdoutAccessLog|StderrAccessLog)$/

/** Whether an entry names a logger that writes to the Worker's console (the ones edgevoy runs). */
export function isConsoleLogger(entry: { name?: string | undefined; typed_config?: Record<string, unknown> | undefined }): boolean {
  const type = typeof entry.typed_config?.['@type'] === 'string' ? (entry.typed_config['@type'] as string) : undefined
  return (entry.name !== undefined && (ACCESS_LOGGER_NAMES as readonly string[]).includes(entry.name)) || (type !== undefined && LOGGER_TYPES.test(type))
}

export const accessLog = envoyObject(
  {
    name: z.string().optional(),
    // Checked below against the logger's own schema: other loggers' configs (OpenTelemetry, gRPC…) are theirs, not ours.
    typed_config: opaque.optional(),
    /** v2 form; normalize may already have moved it to typed_config. */
    config: opaque.optional(),
  },
  {
    ignored: ['filter', 'extension_filter'],
    notes: { filter: 'access log filters are not implemented: every request is logged' },
  },
).superRefine((entry, ctx) => {
  if (!isConsoleLogger(entry)) {
    // Logging changes no answer, so another logger is a warning (and is skipped), not an error.
    if (warningMode.collecting)
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `access logger "${entry.name ?? entry.typed_config?.['@type'] ?? '?'}" is skipped: edgevoy writes access logs to the Worker's console only (envoy.access_loggers.file or .stdout); Workers Logs, Logpush or Analytics Engine carry them on from there`,
        params: { kind: WARNING },
      })
    return
  }
  const key = entry.typed_config ? 'typed_config' : 'config'
  const parsed = loggerConfig.safeParse(entry.typed_config ?? entry.config ?? {})
  if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [key, ...issue.path] } as Parameters<typeof ctx.addIssue>[0])
  const cfg = parsed.success ? parsed.data : undefined
  const formats = [cfg?.format, cfg?.json_format, cfg?.typed_json_format, cfg?.log_format].filter((f) => f !== undefined)
  if (formats.length > 1) ctx.addIssue({ code: 'custom', message: 'only one access log format may be specified', params: { kind: 'conflict' } })
  for (const text of formatStrings(formats)) {
    for (const m of text.matchAll(OPERATOR_PATTERN)) {
      if (!(ACCESS_LOG_OPERATORS as readonly string[]).includes(m[1]!))
        ctx.addIssue({ code: 'custom', path: [key], message: `access log command operator %${m[1]}% is not supported`, params: { kind: 'unsupported_field' } })
    }
  }
})

/** The connection manager's `access_log`: the console loggers edgevoy runs (others were warned about and are dropped). */
export const accessLogList = z.array(accessLog).transform((list) => list.filter(isConsoleLogger) as AccessLogConfig[])

/** Every format string inside a logger's format (text, or the values of a JSON format). */
function formatStrings(values: readonly unknown[]): string[] {
  const out: string[] = []
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v)
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x)
  }
  values.forEach(walk)
  return out
}
type LoggerConfig = z.output<typeof loggerConfig>
export interface AccessLogConfig {
  readonly name?: string | undefined
  readonly typed_config?: LoggerConfig | undefined
  readonly config?: LoggerConfig | undefined
}

/**
 * Command operators edgevoy fills in; any other `%NAME%` is rejected, as Envoy
 * rejects an operator it does not know.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#command-operators
 */
export const ACCESS_LOG_OPERATORS = [
  'START_TIME', 'REQ', 'RESP', 'REQ_WITHOUT_QUERY', 'RESPONSE_CODE', 'RESPONSE_FLAGS', 'RESPONSE_CODE_DETAILS', 'DURATION',
  'REQUEST_DURATION', 'RESPONSE_DURATION', 'UPSTREAM_HOST', 'UPSTREAM_CLUSTER', 'BYTES_RECEIVED', 'BYTES_SENT', 'PROTOCOL',
  'DOWNSTREAM_REMOTE_ADDRESS', 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'ROUTE_NAME', 'HOSTNAME', 'UPSTREAM_TRANSPORT_FAILURE_REASON',
  'TRACE_ID', 'METHOD', 'PATH',
] as const

/** `%NAME%`, `%NAME(arg)%`, `%NAME(arg):max%`. */
export const OPERATOR_PATTERN = /%([A-Z][A-Z0-9_]*)(?:\(([^)]*)\))?(?::(\d+))?%/g
