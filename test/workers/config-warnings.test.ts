/**
 * Parts of real configs that change no answer — other access loggers, other
 * tracers, filter_chain_match — are accepted with a warning that says what
 * edgevoy does instead, never silently (Envoy's own sandboxes use them).
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { compileConfig } from '../../src/compile/index'
import { anyHost, bootstrapYaml } from '../support/envoy-config'

const config = (hcm: Record<string, unknown>, filter_chain: Record<string, unknown> = {}) =>
  bootstrapYaml({ hcm, filter_chain, virtual_hosts: anyHost([{ match: { prefix: '/' }, direct_response: { status: 200 } }]) })

describe('accepted with a warning, never silently', () => {
  it('an OpenTelemetry access logger is skipped with a warning; the stdout logger beside it runs', () => {
    const r = loadConfig(
      config({
        access_log: [
          {
            name: 'envoy.access_loggers.open_telemetry',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig',
              common_config: { log_name: 'otel', transport_api_version: 'V3', grpc_service: { envoy_grpc: { cluster_name: 'otel' } } },
              body: { string_value: '%REQ(:METHOD)%' },
            },
          },
          { name: 'envoy.access_loggers.stdout', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog' } },
        ],
      }),
    )
    expect(r.errors).toEqual([])
    const w = r.warnings.find((i) => i.path.join('.').endsWith('access_log.0.name'))
    expect(w?.message).toMatch(/open_telemetry" is skipped: edgevoy writes access logs to the Worker's console/)
    // Only the console logger is compiled (stdout).
    expect(compileConfig(r.config!).listeners[0]!.accessLogs?.map((l) => l.sink)).toEqual(['stdout'])
  })

  it('a console logger with a typo in its config is still an error', () => {
    const r = loadConfig(
      config({
        access_log: [{ name: 'envoy.access_loggers.file', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', pathh: '/dev/stdout' } }],
      }),
    )
    expect(r.errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/unknown field "pathh"/))
  })

  it('a non-Zipkin tracer is named in a warning', () => {
    const r = loadConfig(
      config({
        tracing: {
          provider: {
            name: 'envoy.tracers.opentelemetry',
            typed_config: { '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig', grpc_service: { envoy_grpc: { cluster_name: 'otel' } } },
          },
        },
      }),
    )
    expect(r.errors).toEqual([])
    expect(r.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/tracer "envoy.tracers.opentelemetry" is not run/))
  })

  it('filter_chain_match is warned about', () => {
    const r = loadConfig(
      config({}, { filter_chain_match: { server_names: ['example.com'] } }))
    expect(r.errors).toEqual([])
    expect(r.warnings.map((w) => `${w.path.join('.')}: ${w.message}`)).toContainEqual(expect.stringMatching(/filter_chain_match: filter_chain_match is accepted but not applied by edgevoy: edgevoy serves the listener's first filter chain/))
  })
})
