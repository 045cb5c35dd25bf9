/**
 * A diagnostic beside bench/runtime-variants.ts, for a change too small to
 * see against this machine's ±100 µs between rounds: edgevoy with the seed
 * config built from another checkout ("main") and from this tree ("branch"),
 * each in a workerd process of its own, driven at the same time by two wrk
 * (-c16) so both see the same background load; prints workerd CPU per request
 * of each process per round, and the mean paired difference with its
 * standard error.
 *   node --import tsx bench/runtime-ab.ts /path/to/main/checkout [seconds] [rounds]
 * (e.g. `git archive main | tar -x -C /tmp/main && ln -s $PWD/node_modules /tmp/main/`)
 * AB_CONFIG=file.yaml serves that config instead of routes/front-envoy.yaml (e.g. a
 * direct_response route: what a request costs before and around the route action,
 * without the upstream's share of the noise).
 * AB_CF=1 gives each request a `request.cf` (Miniflare's placeholder, ~25 properties, through
 * the direct socket's cf blob header), as Cloudflare gives every request one; without it
 * `request.cf` is undefined here.
 */
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Log, LogLevel, Miniflare } from 'miniflare'
import { ROOT } from './bundle.js'
import { CPU_TICK_US, freePort, runWrk, startUpstream, workerdCpuTicks, workerdPids, wrkSeedRoute } from './workerd-host.js'
import * as bb from './built.js'

const mainRoot = process.argv[2]
if (!mainRoot) throw new Error('usage: node --import tsx bench/runtime-ab.ts /path/to/main/checkout [seconds] [rounds]')
const branchRoot = ROOT
const seconds = Number(process.argv[3] ?? 3)
const rounds = Number(process.argv[4] ?? 8)
/** Miniflare's fallback `cf` (node_modules/miniflare: fallbackCf). */
const CF = {
  asOrganization: '', asn: 395747, colo: 'DFW', city: 'Austin', region: 'Texas', regionCode: 'TX', metroCode: '635', postalCode: '78701', country: 'US',
  continent: 'NA', timezone: 'America/Chicago', latitude: '30.27130', longitude: '-97.74260', clientTcpRtt: 0, httpProtocol: 'HTTP/1.1',
  requestPriority: 'weight=192;exclusive=0', tlsCipher: 'AEAD-AES128-GCM-SHA256', tlsVersion: 'TLSv1.3',
  tlsClientAuth: Object.fromEntries(['certPresented', 'certVerified', 'certRevoked', 'certIssuerDN', 'certSubjectDN', 'certIssuerDNRFC2253', 'certSubjectDNRFC2253', 'certIssuerDNLegacy', 'certSubjectDNLegacy', 'certSerial', 'certIssuerSerial', 'certSKI', 'certIssuerSKI', 'certFingerprintSHA1', 'certFingerprintSHA256', 'certNotBefore', 'certNotAfter'].map((k) => [k, k === 'certPresented' || k === 'certRevoked' ? '0' : k === 'certVerified' ? 'NONE' : ''])),
  edgeRequestKeepAliveStatus: 0, clientTrustScore: 99,
  botManagement: { corporateProxy: false, verifiedBot: false, ja3Hash: '25b4882c2bcb50cd6b469ff28c596742', staticResource: false, detectionIds: [], score: 99 },
}
const load = process.env.AB_CF
  ? (url: string, s: number) => runWrk(`${url}/api/v1/svc0/items/42?page=2`, { seconds: s, connections: 16, headers: { Host: 'api.example.com', 'MF-CF-Blob': JSON.stringify(CF) }, stderr: 'inherit' })
  : wrkSeedRoute
const mb = (await import(join(mainRoot, 'bench/built.ts'))) as typeof bb
const up = await startUpstream()
const upPort = (up.address() as AddressInfo).port
const seedText = readFileSync(process.env.AB_CONFIG ?? join(branchRoot, 'routes/front-envoy.yaml'), 'utf8')
const res = { service_a_envoy: [`127.0.0.1:${upPort}`] }
const ws = { main: await mb.builtWorker('ab2-main', mb.buildBase(seedText, res)), branch: await bb.builtWorker('ab2-branch', bb.buildBase(seedText, res)) }
const mfs: Miniflare[] = []
const pids: Record<string, number[]> = {}
const urls: Record<string, string> = {}
for (const name of ['main', 'branch'] as const) {
  const before = new Set(workerdPids())
  const port = await freePort()
  const mf = new Miniflare({ log: new Log(LogLevel.WARN), cf: false, workers: [{ name, modules: ws[name].mfModules, modulesRoot: ws[name].outdir, compatibilityDate: '2026-04-01', unsafeDirectSockets: [{ host: '127.0.0.1', port }] }] })
  await mf.ready
  mfs.push(mf)
  pids[name] = workerdPids().filter((p: number) => !before.has(p))
  urls[name] = `http://127.0.0.1:${port}`
}
try {
  await Promise.all([load(urls.main!, 2), load(urls.branch!, 2)])
  const diffs: number[] = []
  const cpu: Record<string, number[]> = { main: [], branch: [] }
  for (let r = 0; r < rounds; r++) {
    const t = { main: workerdCpuTicks(pids.main), branch: workerdCpuTicks(pids.branch) }
    const [m, b] = await Promise.all([load(urls.main!, seconds), load(urls.branch!, seconds)])
    const cm = ((workerdCpuTicks(pids.main) - t.main) * CPU_TICK_US) / m.requests
    const cb = ((workerdCpuTicks(pids.branch) - t.branch) * CPU_TICK_US) / b.requests
    cpu.main!.push(cm); cpu.branch!.push(cb); diffs.push(cb - cm)
    console.log(`round ${r}: main ${cm.toFixed(0)} µs (${m.rps.toFixed(0)} rps)  branch ${cb.toFixed(0)} µs (${b.rps.toFixed(0)} rps)  diff ${(cb - cm).toFixed(0)}`)
  }
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length
  const sd = Math.sqrt(mean(diffs.map((d) => (d - mean(diffs)) ** 2)))
  console.log(`mean main ${mean(cpu.main!).toFixed(0)} branch ${mean(cpu.branch!).toFixed(0)}  diff ${mean(diffs).toFixed(0)} ± ${(sd / Math.sqrt(diffs.length)).toFixed(0)} (se)`)
} finally {
  for (const mf of mfs) await mf.dispose()
  up.closeAllConnections(); up.close()
}
process.exit(0)
