/**
 * Binding parity (issue 15): the Worker that `edgevoy dev` and every hop of
 * `npm start` run locally has every binding wrangler.toml gives the deployed
 * Worker — read here independently with wrangler's own config reader, and
 * checked against the `env` of a real local runtime (Miniflare), not against
 * the options we built. A binding added to wrangler.toml and missing locally
 * fails this test.
 */
import { Miniflare } from 'miniflare'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unstable_readConfig } from 'wrangler'
import { bundleWorker, type Bundle } from '../../src/cli/bundle'
import { listenerWorker } from '../../src/cli/miniflare-options'
import { wranglerBindings, WRANGLER_CONFIG } from '../../src/cli/wrangler-bindings'
import { ROOT, freePort } from './cli-process'
import { anyHost, bootstrapYaml } from '../support/envoy-config'

const ALL_KINDS = join(ROOT, 'test/fixtures/wrangler/all-bindings.toml')
const CONFIG_TEXT = bootstrapYaml({ listener: { name: 'edge' }, virtual_hosts: anyHost([{ match: { prefix: '/' }, direct_response: { status: 200 } }]) })

/** Every binding name wrangler.toml declares, per wrangler's own reading of the file. */
function declaredBindings(path: string): { local: string[]; remoteOnly: string[] } {
  type Named = { binding: string }
  const c = unstable_readConfig({ config: path }, { hideWarnings: true }) as unknown as {
    vars?: Record<string, unknown>
    kv_namespaces: Named[]
    durable_objects: { bindings: { name: string }[] }
    ratelimits: { name: string }[]
    analytics_engine_datasets: Named[]
    services: Named[]
    r2_buckets: Named[]
    d1_databases: Named[]
    queues: { producers: Named[] }
    ai?: Named
    browser?: Named
  }
  const local = [
    ...Object.keys(c.vars ?? {}),
    ...c.kv_namespaces.map((k) => k.binding),
    ...c.durable_objects.bindings.map((d) => d.name),
    ...c.ratelimits.map((r) => r.name),
    ...c.analytics_engine_datasets.map((a) => a.binding),
    ...c.services.map((s) => s.binding),
    ...c.r2_buckets.map((r) => r.binding),
    ...c.d1_databases.map((d) => d.binding),
    ...c.queues.producers.map((q) => q.binding),
  ]
  const remoteOnly = [c.ai?.binding, c.browser?.binding].filter((b): b is string => !!b)
  return { local: [...new Set(local)].sort(), remoteOnly }
}

/** The names in a running Worker's `env`. */
async function runtimeBindings(bundle: Bundle, wranglerPath: string, shareWith?: string): Promise<{ names: string[]; mf: Miniflare; notices: readonly string[] }> {
  const { worker, notices } = await wranglerBindings(wranglerPath)
  const base = { configText: CONFIG_TEXT, listener: 'edge', adminToken: 't' }
  const workers = [listenerWorker(bundle, worker, { ...base, name: 'first', port: await freePort() })]
  // A second listener of the same Envoy, as `npm start` runs A's sidecar: its Durable Objects live in the first.
  if (shareWith) workers.push(listenerWorker(bundle, worker, { ...base, name: shareWith, port: await freePort(), authorityWorker: 'first' }))
  const mf = new Miniflare({ workers, cf: false, host: '127.0.0.1', port: 0 })
  const env = await mf.getBindings(shareWith ?? 'first')
  return { names: Object.keys(env).sort(), mf, notices }
}

describe('binding parity: wrangler.toml = the local runtime', () => {
  let bundle: Bundle
  const started: Miniflare[] = []
  beforeAll(async () => {
    bundle = await bundleWorker()
  })
  afterAll(async () => {
    await Promise.all(started.map((mf) => mf.dispose()))
  })

  it("the repo's wrangler.toml: every binding exists in edgevoy dev's and each mesh hop's Worker", async () => {
    const declared = declaredBindings(WRANGLER_CONFIG)
    expect(declared.local).toEqual(expect.arrayContaining(['CONFIG', 'CONFIG_AUTHORITY', 'HEALTH', 'XDS_POLLER']))
    const dev = await runtimeBindings(bundle, WRANGLER_CONFIG)
    started.push(dev.mf)
    expect(dev.names).toEqual(expect.arrayContaining(declared.local))
    const hop = await runtimeBindings(bundle, WRANGLER_CONFIG, 'second-listener')
    started.push(hop.mf)
    expect(hop.names).toEqual(expect.arrayContaining(declared.local))
    expect(dev.notices).toEqual([])
  })

  it('every binding kind the docs use (rate limit, Analytics Engine, service) exists locally and works; remote-only ones get a notice', async () => {
    const declared = declaredBindings(ALL_KINDS)
    expect(declared.local).toEqual(expect.arrayContaining(['EDGE_LIMITER', 'ANALYTICS', 'API', 'EXTRA_VAR']))
    const { names, mf, notices } = await runtimeBindings(bundle, ALL_KINDS)
    started.push(mf)
    expect(names).toEqual(expect.arrayContaining(declared.local))
    for (const name of declared.remoteOnly) expect(notices.join('\n')).toContain(`binding ${name} (`)

    const env = (await mf.getBindings('first')) as {
      EDGE_LIMITER: { limit(o: { key: string }): Promise<{ success: boolean }> }
      ANALYTICS: { writeDataPoint(p: object): void }
      API: { fetch(url: string): Promise<Response> }
    }
    expect((await env.EDGE_LIMITER.limit({ key: 'k' })).success).toBe(true)
    expect(() => env.ANALYTICS.writeDataPoint({ blobs: ['x'], doubles: [1] })).not.toThrow()
    // No --service given: the binding exists and answers 503 saying how to point it somewhere.
    const res = await env.API.fetch('http://api/')
    expect(res.status).toBe(503)
    expect(await res.text()).toContain('--service API=http://host:port')
  })
})
