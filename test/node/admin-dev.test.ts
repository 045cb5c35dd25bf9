/**
 * The admin API as a new user meets it: `edgevoy dev -c FILE --port N
 * --admin-token T` in a child process, driven with fetch (and the `push` /
 * `pull` commands), against real upstreams on 127.0.0.1.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { runPull } from '../../src/cli/pull'
import { runPush } from '../../src/cli/push'
import { edgeYaml } from '../support/edge-yaml'
import { freePort, runCli, stopCli, type Cli } from './cli-process'

const upstreams = inject('upstreams')
const TOKEN = 'dev-admin-token'
const dir = mkdtempSync(join(tmpdir(), 'edgevoy-admin-'))

const configTo = edgeYaml

/** Start `edgevoy dev` (without any ADMIN_TOKEN from the environment) and resolve once it serves. */
async function startDev(args: string[]): Promise<Cli> {
  const cli = runCli(['dev', ...args], { ADMIN_TOKEN: '' })
  await cli.waitFor('serving on', 45_000)
  return cli
}

const upstreamId = async (res: Response) => ((await res.json()) as { id: string }).id

describe('edgevoy dev --admin-token', () => {
  let dev: Cli | undefined
  let url = ''
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${url}/__admin${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers as Record<string, string>) } })

  beforeAll(async () => {
    const file = join(dir, 'a.yaml')
    writeFileSync(file, configTo('svc_a', upstreams.a!))
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    dev = await startDev(['-c', file, '--port', String(port), '--admin-token', TOKEN])
  })
  afterAll(async () => {
    if (dev) await stopCli(dev)
  })

  it('PUT /config changes routing for the very next request; GET returns it; rollback restores', async () => {
    expect(await upstreamId(await fetch(`${url}/x`))).toBe('a')
    const put = await admin('/config', { method: 'PUT', body: configTo('svc_b', upstreams.b!), headers: { 'content-type': 'application/yaml' } })
    expect(put.status).toBe(200)
    const { version } = (await put.json()) as { version: number }
    expect(version).toBe(1)
    const next = await fetch(`${url}/x`)
    expect(await upstreamId(next)).toBe('b')
    expect(next.headers.get('x-edgevoy-config-version')).toBe('1')

    const got = await admin('/config?format=yaml')
    expect(got.headers.get('etag')).toBe('"1"')
    expect(await got.text()).toContain('svc_b')

    const rb = await admin('/config/rollback', { method: 'POST', body: JSON.stringify({ version: 0 }), headers: { 'content-type': 'application/json' } })
    expect(rb.status).toBe(200)
    expect(await upstreamId(await fetch(`${url}/y`))).toBe('a')
  })

  it('401 without the token; admin paths never reach the upstream', async () => {
    const res = await fetch(`${url}/__admin/config`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('Bearer')
    expect((await admin('/nothing-here')).status).toBe(404)
  })

  it('a config with errors → 400 listing them all; routing unchanged', async () => {
    const bad = configTo('svc_c', upstreams.c!, { routeTo: 'missing', clusterFields: { lb_policy: 'WHATEVER' } })
    const res = await admin('/config', { method: 'PUT', body: bad, headers: { 'content-type': 'application/yaml' } })
    expect(res.status).toBe(400)
    const { error } = (await res.json()) as { error: { details: { line: number; message: string }[] } }
    expect(error.details.length).toBeGreaterThanOrEqual(2)
    expect(await upstreamId(await fetch(`${url}/z`))).toBe('a')
  })

  it('GET /route names the route the request takes', async () => {
    const ex = (await (await admin('/route?authority=anything&path=/p')).json()) as { route: { name: string; action: { cluster: string } } }
    expect(ex.route).toMatchObject({ name: 'all', action: { cluster: 'svc_a' } })
  })

  it('edgevoy push and pull', async () => {
    const file = join(dir, 'c.yaml')
    writeFileSync(file, configTo('svc_c', upstreams.c!))
    expect(await runPush(['-c', file, '--url', url, '--token', TOKEN])).toBe(0)
    expect(await upstreamId(await fetch(`${url}/pushed`))).toBe('c')
    const out = join(dir, 'pulled.yaml')
    expect(await runPull(['--url', `${url}/__admin`, '--token', TOKEN, '-o', out])).toBe(0)
    expect(readFileSync(out, 'utf8')).toContain('svc_c')
    expect(await runPush(['-c', file, '--url', url, '--token', 'wrong'])).toBe(1)
  })
})

describe('edgevoy dev without a token', () => {
  it('answers 404 for every admin path, as if there were none', async () => {
    const file = join(dir, 'plain.yaml')
    writeFileSync(file, configTo('svc_a', upstreams.a!))
    const port = await freePort()
    const cli = await startDev(['-c', file, '--port', String(port)])
    try {
      for (const path of ['/__admin', '/__admin/config', '/__admin/server_info']) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
        expect(res.status, path).toBe(404)
      }
      expect(await upstreamId(await fetch(`http://127.0.0.1:${port}/proxied`))).toBe('a')
    } finally {
      await stopCli(cli)
    }
  })
})
