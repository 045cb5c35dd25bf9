/**
 * Request mirroring (issue 13 item 4: request_mirror_policies implemented, not
 * accepted silently): a shadow copy goes to the mirror cluster, fire and
 * forget, with "-shadow" appended to the authority; runtime_fraction samples it;
 * the client's answer comes from the primary alone.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction-requestmirrorpolicy
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import { compileConfig } from '../../src/compile'
import { loadConfig } from '../../src/config/load'
import { buildListenerApp } from '../../src/router/app'
import { ClusterManager } from '../../src/upstream/cluster-manager'
import { formatPath } from '../../src/config/issues'
import { anyHost, bootstrap } from '../support/config'
import { controlClient } from '../support/control-client'
import type { EchoBody } from '../support/upstream-types'

const control = controlClient(inject('upstreamControl'))

async function mirrorApp(prefix: string, mirror: Record<string, unknown>, routeExtra: Record<string, unknown> = {}, random = Math.random) {
  const primary = (await control.start(`${prefix}-primary`)).port
  const shadow = (await control.start(`${prefix}-shadow`)).port
  const doc = bootstrap({
    virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'primary', request_mirror_policies: [{ cluster: 'shadow', ...mirror }] }, ...routeExtra }]),
    clusters: { primary: [primary], shadow: [shadow] },
  })
  const loaded = loadConfig(JSON.stringify(doc))
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors))
  expect(loaded.warnings).toEqual([])
  const snapshot = compileConfig(loaded.config)
  const app = buildListenerApp(snapshot, snapshot.listeners[0]!, {
    fetch: (input, init) => fetch(input, init),
    bindings: {},
    clusters: new ClusterManager({ random, now: Date.now }),
    random,
    now: Date.now,
  })
  const send = async (path: string, init?: RequestInit) => {
    const ctx = createExecutionContext()
    const res = await app.fetch(new Request(`http://edge.example.com${path}`, init), {}, ctx)
    const body = await res.text()
    await waitOnExecutionContext(ctx)
    return { res, body }
  }
  const requests = async (which: 'primary' | 'shadow') => (await control.state(`${prefix}-${which}`)).requests
  return { send, requests }
}

describe('request_mirror_policies', () => {
  it('sends a shadow copy with "-shadow" on the authority; the client gets the primary\'s answer', async () => {
    const m = await mirrorApp('mirror-basic', {})
    const before = await m.requests('shadow')
    const { res, body } = await m.send('/orders?id=7', { method: 'POST', body: 'payload', headers: { 'content-length': '7' } })
    expect(res.status).toBe(200)
    expect((JSON.parse(body) as EchoBody).id).toBe('mirror-basic-primary')
    expect((await m.requests('shadow')) - before).toBe(1)
  })

  it('the shadow sees the same path, method and body, and the -shadow authority', async () => {
    const m = await mirrorApp('mirror-seen', {})
    await m.send('/seen?q=1', { method: 'PUT', body: 'abc', headers: { 'content-length': '3' } })
    const shadow = (await control.state('mirror-seen-shadow')).last!
    const primary = (await control.state('mirror-seen-primary')).last!
    expect(shadow).toMatchObject({ method: 'PUT', url: '/seen?q=1', bodyBytes: 3, bodySha256: primary.bodySha256 })
    expect(primary.headers['x-forwarded-host']).toBe('edge.example.com')
    expect(shadow.headers['x-forwarded-host']).toBe('edge.example.com-shadow')
  })

  it('disable_shadow_host_suffix_append keeps the authority as it is', async () => {
    const m = await mirrorApp('mirror-nosuffix', { disable_shadow_host_suffix_append: true })
    await m.send('/x')
    expect((await control.state('mirror-nosuffix-shadow')).last!.headers['x-forwarded-host']).toBe('edge.example.com')
  })

  it('a body larger than the buffer limit is not mirrored (a slow shadow could hold an unbounded copy); the primary gets it whole', async () => {
    const m = await mirrorApp('mirror-big', {}, { per_request_buffer_limit_bytes: 1000 })
    const before = await m.requests('shadow')
    const big = 'x'.repeat(5000)
    const { res, body } = await m.send('/upload', { method: 'POST', body: big, headers: { 'content-length': String(big.length) } })
    expect(res.status).toBe(200)
    expect((JSON.parse(body) as EchoBody).bodyBytes).toBe(big.length)
    expect((await m.requests('shadow')) - before).toBe(0)
  })

  it('runtime_fraction samples: 0 % sends none', async () => {
    const m = await mirrorApp('mirror-none', { runtime_fraction: { default_value: { numerator: 0 } } })
    const before = await m.requests('shadow')
    for (let i = 0; i < 5; i++) expect((await m.send('/x')).res.status).toBe(200)
    expect((await m.requests('shadow')) - before).toBe(0)
  })

  it('a shadow that fails never changes the answer', async () => {
    const m = await mirrorApp('mirror-down', {})
    await control.kill('mirror-down-shadow')
    const { res } = await m.send('/x')
    expect(res.status).toBe(200)
    await control.restart('mirror-down-shadow')
  })

  it('validate refuses a mirror to a cluster that does not exist, and a policy naming no cluster', () => {
    const doc = (mirror: Record<string, unknown>) =>
      JSON.stringify(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, route: { cluster: 'primary', request_mirror_policies: [mirror] } }]), clusters: { primary: [1] } }))
    const missing = loadConfig(doc({ cluster: 'shadw' }))
    expect(missing.ok).toBe(false)
    expect(missing.errors.map((e) => `${formatPath(e.path)}: ${e.message}`).join('\n')).toMatch(/request_mirror_policies\[0\]\.cluster: route names cluster "shadw", which is not defined/)
    expect(loadConfig(doc({ runtime_fraction: { default_value: { numerator: 50 } } })).ok).toBe(false)
  })
})
