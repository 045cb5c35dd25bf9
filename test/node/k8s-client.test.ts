/**
 * k8s-sync's pieces on their own: kubeconfig and in-cluster credentials, the
 * API client over HTTPS trusting the cluster's CA (a real TLS server with a
 * certificate made for this test), EndpointSlice conditions and the cluster
 * naming convention.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KubeApiError, kubeClient } from '../../src/cli/k8s/api.js'
import { usableEndpoints } from '../../src/cli/k8s/endpoints.js'
import { fromKubeconfig, inCluster } from '../../src/cli/k8s/kubeconfig.js'
import { k8sClusters, parseRef } from '../../src/cli/k8s/targets.js'

const dir = mkdtempSync(join(tmpdir(), 'edgevoy-kube-'))
const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name))

function kubeconfig(server: string, user: string, cluster = ''): string {
  return write(
    `kc-${Math.random().toString(36).slice(2)}.yaml`,
    `apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n${cluster}users:\n- name: u\n  user:\n${user}contexts:\n- name: main\n  context: { cluster: c, user: u, namespace: apps }\n- name: other\n  context: { cluster: c, user: u }\n`,
  )
}

describe('kubeconfig', () => {
  it('reads the current context: server, token, CA data, namespace; --context picks another', () => {
    const file = kubeconfig('https://10.0.0.1:6443/', '    token: abc\n', `    certificate-authority-data: ${Buffer.from('PEM').toString('base64')}\n`)
    const t = fromKubeconfig(file)
    expect([t.server, t.token(), t.ca, t.namespace]).toEqual(['https://10.0.0.1:6443', 'abc', 'PEM', 'apps'])
    expect(fromKubeconfig(file, 'other').namespace).toBe('default')
  })

  it('tokenFile (relative to the kubeconfig) is read on every request, so a rotated token is used', () => {
    write('token', 'first\n')
    const t = fromKubeconfig(kubeconfig('https://k', '    tokenFile: token\n'))
    expect(t.token()).toBe('first')
    write('token', 'second\n')
    expect(t.token()).toBe('second')
  })

  it('refuses client certificates and exec plugins with a way out, and names a missing context', () => {
    expect(() => fromKubeconfig(kubeconfig('https://k', '    exec: { command: aws }\n'))).toThrow(/uses exec, which k8s-sync does not support; use a ServiceAccount token/)
    expect(() => fromKubeconfig(kubeconfig('https://k', '    client-certificate-data: eA==\n'))).toThrow(/client-certificate-data/)
    expect(() => fromKubeconfig(kubeconfig('https://k', '    token: a\n'), 'nope')).toThrow(/no context named "nope"/)
  })

  it('in-cluster: KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount files', () => {
    const sa = mkdtempSync(join(tmpdir(), 'edgevoy-sa-'))
    writeFileSync(join(sa, 'token'), 'sa-token\n')
    writeFileSync(join(sa, 'ca.crt'), 'CA')
    writeFileSync(join(sa, 'namespace'), 'mesh')
    const t = inCluster({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, sa)
    expect([t.server, t.token(), t.ca, t.namespace]).toEqual(['https://10.96.0.1:443', 'sa-token', 'CA', 'mesh'])
    expect(() => inCluster({}, sa)).toThrow(/KUBERNETES_SERVICE_HOST is not set/)
  })
})

describe('the API client over HTTPS', () => {
  let server: Server
  let url: string
  let caPem: string
  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kube-test', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
    caPem = readFileSync(join(dir, 'cert.pem'), 'utf8')
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: caPem }, (req, res) => {
      if (req.headers.authorization !== 'Bearer t0k') return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized', code: 401 }))
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'EndpointSliceList', metadata: { resourceVersion: '7' }, items: [] }))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(() => void server?.close())

  it('trusts the cluster CA from the kubeconfig, and only it', async () => {
    const withCa = fromKubeconfig(kubeconfig(url, '    token: t0k\n', `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}\n`))
    expect(await kubeClient(withCa).getJson('/apis/discovery.k8s.io/v1/endpointslices')).toMatchObject({ metadata: { resourceVersion: '7' } })
    const withoutCa = fromKubeconfig(kubeconfig(url, '    token: t0k\n'))
    await expect(kubeClient(withoutCa).getJson('/x')).rejects.toThrow(/self[- ]signed/i)
  })

  it('a refused token is a KubeApiError carrying the Status', async () => {
    const wrong = fromKubeconfig(kubeconfig(url, '    token: nope\n', `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}\n`))
    const e = await kubeClient(wrong).getJson('/x').catch((err: unknown) => err)
    expect(e).toBeInstanceOf(KubeApiError)
    expect((e as KubeApiError).status).toBe(401)
  })
})

describe('EndpointSlices → endpoints', () => {
  const slice = (endpoints: object[], ports = [{ name: 'envoy-web', port: 8786 }], addressType = 'IPv4') => ({ addressType, endpoints, ports })
  it('ready (or unset) and not terminating; first address; port by name or number; FQDN slices skipped; sorted, no duplicates', () => {
    const slices = [
      slice([
        { addresses: ['10.0.0.2', '10.9.9.9'], conditions: { ready: true } },
        { addresses: ['10.0.0.1'], conditions: {} },
        { addresses: ['10.0.0.3'], conditions: { ready: false, serving: true, terminating: true } },
        { addresses: ['10.0.0.4'], conditions: { ready: false } },
        { addresses: ['10.0.0.5'], conditions: { ready: null } },
      ]),
      slice([{ addresses: ['10.0.0.1'], conditions: { ready: true } }]),
      slice([{ addresses: ['svc.example.com'] }], undefined, 'FQDN'),
    ]
    const want = [{ address: '10.0.0.1', port: 8786 }, { address: '10.0.0.2', port: 8786 }, { address: '10.0.0.5', port: 8786 }]
    expect(usableEndpoints(slices, 'envoy-web')).toEqual(want)
    expect(usableEndpoints(slices, '8786')).toEqual(want)
    expect(usableEndpoints(slices, 'other')).toEqual([])
  })
})

describe('which clusters follow a Service', () => {
  it('metadata edgevoy.k8s or a cluster named namespace/service:port; the namespace defaults', () => {
    expect(parseRef('serviceb:envoy-web', 'mesh')).toEqual({ namespace: 'mesh', service: 'serviceb', port: 'envoy-web' })
    expect(parseRef('Bad_Name:80', 'mesh')).toBeUndefined()
    const config = {
      static_resources: {
        clusters: [
          { name: 'service_b', metadata: { filter_metadata: { edgevoy: { k8s: 'mesh/serviceb:envoy-web' } } } },
          { name: 'apps/api:8080' },
          { name: 'plain' },
        ],
      },
    }
    expect(Object.fromEntries(k8sClusters(config, 'default'))).toEqual({
      service_b: { namespace: 'mesh', service: 'serviceb', port: 'envoy-web' },
      'apps/api:8080': { namespace: 'apps', service: 'api', port: '8080' },
    })
  })

  it('a malformed edgevoy.k8s value is an error, not ignored', () => {
    const config = { static_resources: { clusters: [{ name: 'x', metadata: { filter_metadata: { edgevoy: { k8s: 'mesh/Service B' } } } }] } }
    expect(() => k8sClusters(config, 'default')).toThrow(/cluster "x": metadata.filter_metadata.edgevoy.k8s must be "namespace\/service:port"/)
  })
})
