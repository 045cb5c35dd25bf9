/**
 * HttpHealthCheck.service_name_matcher (v2: service_name, a prefix): "An
 * optional service name parameter which is used to validate the identity of
 * the health checked cluster using a StringMatcher" — Envoy's
 * HttpHealthCheckerImpl fails a check whose answer's
 * x-envoy-upstream-healthchecked-cluster (absent: "") does not match, even
 * with an expected status. Checked against a real upstream on 127.0.0.1 that
 * answers with the header the path asks for.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/health_check.proto#envoy-v3-api-field-config-core-v3-healthcheck-httphealthcheck-service-name-matcher
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking#health-check-identity
 */
import { describe, expect, inject, it } from 'vitest'
import { serializeSnapshot } from '../../src/compile/serialize'
import { loadSnapshot } from '../../src/snapshot/load'
import { runHealthCheck } from '../../src/upstream/health/checker'
import { compileJson, anyHost, bootstrap } from '../support/config'
import { controlClient } from '../support/control-client'

const control = controlClient(inject('upstreamControl'))

/** The compiled policy of a cluster whose health check has `http` (its own path). */
function policy(http: Record<string, unknown>) {
  return compileJson(checked(http)).clusters.get('service1')!.resilience.healthChecks[0]!
}

/** Cluster service1 (port 1, never dialled) health-checked over HTTP with `http`. */
const checked = (http: Record<string, unknown>) =>
  bootstrap({
    virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'service1' } }]),
    clusters: { service1: { endpoints: [1], health_checks: [{ timeout: '1s', interval: '5s', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: http }] } },
  })

describe('service_name_matcher: the checked host must say which cluster it is', () => {
  it('passes only when x-envoy-upstream-healthchecked-cluster matches; absent counts as ""', async () => {
    const up = await control.start('hc-service-name')
    const host = { address: `127.0.0.1:${up.port}`, origin: `http://127.0.0.1:${up.port}`, hostname: '127.0.0.1' }
    const check = (path: string, matcher?: Record<string, unknown>) => runHealthCheck(host, policy({ path, ...(matcher ? { service_name_matcher: matcher } : {}) }), fetch)
    const saying = (cluster: string) => `/response-headers?x-envoy-upstream-healthchecked-cluster=${cluster}`
    expect(await check(saying('service1'), { exact: 'service1' })).toBe('pass')
    expect(await check(saying('service2'), { exact: 'service1' })).toBe('fail')
    expect(await check('/health', { exact: 'service1' })).toBe('fail')
    expect(await check('/health', { exact: '' })).toBe('pass')
    expect(await check('/health')).toBe('pass')
    // A status outside expected_statuses fails whatever the header says.
    expect(await check('/status/503', { exact: '' })).toBe('fail')
  })

  it('v2 service_name is a prefix of the header (Envoy v1.x: absl::StartsWith)', async () => {
    const up = await control.start('hc-service-name')
    const host = { address: `127.0.0.1:${up.port}`, origin: `http://127.0.0.1:${up.port}`, hostname: '127.0.0.1' }
    const v2 = policy({ path: '/response-headers?x-envoy-upstream-healthchecked-cluster=service1-canary', service_name_matcher: { prefix: 'service1' } })
    expect(await runHealthCheck(host, v2, fetch)).toBe('pass')
    expect(v2.serviceName).toEqual({ kind: 'prefix', value: 'service1' })
  })

  it('survives serialize → load (the data plane reads the same policy)', () => {
    const doc = checked({ path: '/h', service_name_matcher: { suffix: '-a', ignore_case: true } })
    const loaded = loadSnapshot(serializeSnapshot(compileJson(doc)))
    expect(loaded.clusters.get('service1')!.resilience.healthChecks[0]!.serviceName).toEqual({ kind: 'suffix', value: '-a', ignoreCase: true })
  })
})
