/**
 * The dashboard at /__admin/ in headless Chromium (Debian's `chromium` driven
 * by playwright-core): it lists the running config's clusters with their
 * endpoints, and its counters move after traffic. A screenshot goes to
 * test/artifacts/dashboard.png.
 * Envoy has no dashboard; the numbers are its stats
 * (https://www.envoyproxy.io/docs/envoy/latest/operations/admin#get--stats).
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { anyHost, bootstrapYaml } from '../support/envoy-config'
import { startObservabilityWorker, type ObservabilityWorker } from '../support/observability-worker'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SCREENSHOT = resolve(ROOT, 'test/artifacts/dashboard.png')
const upstreams = inject('upstreams')

/** The part of playwright-core this test uses (typed here: the package is optional). */
interface Page {
  goto(url: string): Promise<unknown>
  waitForSelector(selector: string, options?: { timeout?: number }): Promise<unknown>
  waitForFunction(fn: string, arg?: unknown, options?: { timeout?: number }): Promise<unknown>
  textContent(selector: string): Promise<string | null>
  $$eval<T>(selector: string, fn: (els: Element[]) => T): Promise<T>
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>
}
interface Browser {
  newPage(options?: { viewport?: { width: number; height: number } }): Promise<Page>
  close(): Promise<void>
}
interface PlaywrightCore {
  chromium: { launch(options: { executablePath: string; headless: boolean; args?: string[] }): Promise<Browser> }
}

const chromiumPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p))
const playwright = await import(/* @vite-ignore */ 'playwright-core' as string).then(
  (m: unknown) => m as PlaywrightCore,
  () => undefined,
)
const missing = [!chromiumPath && 'chromium (apt-get install -y chromium)', !playwright && 'playwright-core (npm i -D playwright-core)'].filter(Boolean)
if (missing.length) console.warn(`dashboard test skipped: missing ${missing.join(' and ')}`)

const config = bootstrapYaml({
  listener: { name: 'front' },
  hcm: { stat_prefix: 'ingress_http' },
  virtual_hosts: anyHost([
    { match: { prefix: '/b' }, route: { cluster: 'service_b' } },
    { match: { prefix: '/' }, route: { cluster: 'service_a' } },
  ]),
  clusters: { service_a: [upstreams.a!, upstreams.b!], service_b: [upstreams.c!] },
})

describe.skipIf(missing.length > 0)('dashboard in headless Chromium', () => {
  let worker: ObservabilityWorker
  let browser: Browser
  beforeAll(async () => {
    worker = await startObservabilityWorker(config)
    browser = await playwright!.chromium.launch({ executablePath: chromiumPath!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  })
  afterAll(async () => {
    await browser?.close()
    await worker?.dispose()
  })

  it('lists the clusters of the running config and updates after traffic', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 420 } })
    await page.goto(`${worker.url}__admin/`)
    await page.waitForSelector('tr[data-cluster="service_b"]', { timeout: 10_000 })
    const names = await page.$$eval('#clusters tbody tr', (rows) => rows.map((r) => r.getAttribute('data-cluster')))
    expect(names).toEqual(['service_a', 'service_b'])
    const hosts = await page.$$eval('tr[data-cluster="service_a"] .host', (els) => els.map((e) => (e as unknown as { textContent: string | null }).textContent))
    expect(hosts).toEqual([`127.0.0.1:${upstreams.a}`, `127.0.0.1:${upstreams.b}`])
    // The page declares an empty icon, so the browser sends no /favicon.ico through the proxy.
    expect(await page.textContent('tr[data-cluster="service_a"] .total')).toBe('0')

    for (let i = 0; i < 5; i++) await (await fetch(`${worker.url}a/${i}`)).arrayBuffer()
    await (await fetch(`${worker.url}status/503`)).arrayBuffer()
    await (await fetch(`${worker.url}b/1`)).arrayBuffer()

    // The page polls every 2 s.
    await page.waitForFunction(`document.querySelector('tr[data-cluster="service_a"] .total')?.textContent === '6'`, undefined, { timeout: 6_000 })
    expect(await page.textContent('tr[data-cluster="service_a"] .errors')).toBe('1')
    expect(await page.textContent('tr[data-cluster="service_a"] .error-rate')).toBe('16.7%')
    expect(await page.textContent('tr[data-cluster="service_b"] .total')).toBe('1')
    expect(await page.textContent('#status')).toMatch(/^updated .* · numbers of isolate \w+ only$/)

    mkdirSync(dirname(SCREENSHOT), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    expect(existsSync(SCREENSHOT)).toBe(true)
  })
})
