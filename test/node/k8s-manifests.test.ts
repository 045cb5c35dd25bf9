/**
 * deploy/ agrees with itself and with routes/: every file under
 * deploy/kubernetes/ parses; the generated ConfigMaps and node configs are
 * current; ports, names, node ids, ConfigMaps, Services, RBAC and the tunnel
 * all point at each other; the sidecar and edge configs validate.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { describe, expect, it } from 'vitest'
import { cloudflareWarnings } from '../../src/cli/cloudflare-checks.js'
import { readConfig } from '../../src/cli/read-config.js'
import { ADMIN_HOST_PLACEHOLDER, GATEWAY, generateManifests, MESH, NAMESPACE, SIDECAR_PORT_NAME, TOKEN_PLACEHOLDER } from '../../src/cli/k8s/manifests.js'
import { k8sClusters } from '../../src/cli/k8s/targets.js'
import { loadConfig } from '../../src/config/load.js'
import { ROOT } from './cli-process.js'

type Json = Record<string, any>
const KUBE_DIR = join(ROOT, 'deploy/kubernetes')

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** Every object of every file, with the file it came from. */
const objects: { file: string; o: Json }[] = filesUnder(KUBE_DIR).flatMap((file) =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`)
    return { file: relative(ROOT, file), o: doc.toJSON() as Json }
  }),
)
const all = (kind: string, dir?: 'base' | 'xds') =>
  objects.filter(({ file, o }) => o.kind === kind && (dir === undefined || (dir === 'xds') === file.includes('/xds/'))).map(({ o }) => o)
const one = (kind: string, name: string, dir?: 'base' | 'xds') => {
  const found = all(kind, dir).filter((o) => o.metadata.name === name)
  expect(found, `${kind} ${name}${dir ? ` in ${dir}` : ''}`).toHaveLength(1)
  return found[0]!
}
const meshFile = parse(readFileSync(join(ROOT, 'routes/mesh.yaml'), 'utf8')) as { services: { name: string; port: number; replicas?: number }[] }
const v3 = (text: string) => {
  const loaded = loadConfig(text)
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.path.join('.')}: ${e.message}`).join('\n'))
  return loaded.config.json as Json
}
/** The port of the listener whose route goes to the service's own cluster (its ingress). */
function ingressPort(config: Json, cluster: string): number {
  const l = config.static_resources.listeners.find((x: Json) => JSON.stringify(x).includes(`"cluster":"${cluster}"`))
  return l.address.socket_address.port_value
}
const container = (d: Json, name: string) => d.spec.template.spec.containers.find((c: Json) => c.name === name)
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1] ?? ''
const envoyConfigOf = (cm: Json) => cm.data['envoy-config'] as string

describe('deploy/kubernetes', () => {
  it('every file parses to Kubernetes objects, all in the mesh namespace, Deployments as apps/v1', () => {
    expect(objects.length).toBeGreaterThan(10)
    for (const { file, o } of objects) {
      expect(typeof o.apiVersion, file).toBe('string')
      expect(typeof o.kind, file).toBe('string')
      expect(o.metadata?.name, file).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${file} ${o.kind} ${o.metadata.name}`).toBe(NAMESPACE)
      if (o.kind === 'Deployment') expect(o.apiVersion).toBe('apps/v1')
    }
    expect(one('Namespace', NAMESPACE).apiVersion).toBe('v1')
  })

  it('the generated files are current (npx tsx deploy/generate.ts)', () => {
    for (const [path, text] of generateManifests(ROOT)) expect(readFileSync(join(ROOT, path), 'utf8'), `${path} is stale: run npx tsx deploy/generate.ts`).toBe(text)
  })

  for (const s of MESH) {
    it(`${s.k8s}: Deployment, headless Service, sidecar ports and node id agree with ${s.routes} and routes/mesh.yaml`, () => {
      const routes = v3(readFileSync(join(ROOT, s.routes), 'utf8'))
      const port = ingressPort(routes, s.name)
      const svc = meshFile.services.find((x) => x.name === s.name)!
      const d = one('Deployment', s.k8s)
      expect(d.spec.replicas).toBe(svc.replicas ?? 1) // A: 2, as in the article and routes/mesh.yaml
      expect(d.spec.selector.matchLabels).toEqual(d.spec.template.metadata.labels)
      expect(container(d, s.k8s).ports.map((p: Json) => p.containerPort)).toEqual([svc.port])
      const envoy = container(d, 'envoy')
      expect(envoy.ports.find((p: Json) => p.name === SIDECAR_PORT_NAME).containerPort).toBe(port)
      expect(argAfter(envoy.args, '--service-node')).toBe(s.node)
      expect(d.spec.template.spec.volumes.find((v: Json) => v.configMap).configMap.name).toBe(`sidecar-config-${s.k8s}`)

      const service = one('Service', s.k8s)
      expect(service.spec.clusterIP).toBe('None') // headless: DNS and EndpointSlices list every pod
      expect(service.spec.ports).toEqual([{ name: SIDECAR_PORT_NAME, port, targetPort: port }])
      expect(service.spec.selector).toEqual(d.spec.template.metadata.labels)

      // Static variant: the generated ConfigMap is routes/ with Kubernetes names, and edgevoy accepts it.
      const config = v3(envoyConfigOf(one('ConfigMap', `sidecar-config-${s.k8s}`, 'base')))
      expect(ingressPort(config, s.name)).toBe(port)
      for (const c of config.static_resources.clusters) {
        const sa = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address
        if (c.name === s.name) expect(sa).toEqual({ address: '127.0.0.1', port_value: svc.port })
        else {
          const target = MESH.find((m) => m.name === c.name)!
          expect(sa.address).toBe(`${target.k8s}.${NAMESPACE}.svc.cluster.local`)
          expect(one('Service', target.k8s).spec.ports[0].port).toBe(sa.port_value)
        }
      }

      // xDS variant: same ConfigMap name, a bootstrap with this node id; the node's config exists.
      const bootstrap = parse(envoyConfigOf(one('ConfigMap', `sidecar-config-${s.k8s}`, 'xds')))
      expect(bootstrap.node.id).toBe(s.node)
      expect(ingressPort(v3(readFileSync(join(ROOT, 'deploy/nodes', `${s.node}.yaml`), 'utf8')), s.name)).toBe(port)
    })
  }

  it('every node config validates, and each Kubernetes ref names a Service and port the manifests define', () => {
    for (const n of [...MESH, GATEWAY]) {
      const text = readFileSync(join(ROOT, 'deploy/nodes', `${n.node}.yaml`), 'utf8')
      const config = v3(text)
      const refs = k8sClusters(config, 'default')
      // Every cluster is the pod's own app (127.0.0.1) or another Service's pods, fed by k8s-sync.
      for (const c of config.static_resources.clusters)
        if (!refs.has(c.name)) expect(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address, `${n.node} ${c.name}`).toBe('127.0.0.1')
      if (n === GATEWAY || n.node === 'service-a') expect(refs.size, n.node).toBeGreaterThan(0)
      for (const ref of refs.values()) {
        expect(ref.namespace).toBe(NAMESPACE)
        expect(one('Service', ref.service).spec.ports.map((p: Json) => p.name)).toContain(ref.port)
      }
    }
  })

  it('the gateway (xDS variant) serves its node config\'s listener port behind a Service; the tunnel points at it', () => {
    const d = one('Deployment', 'gateway', 'xds')
    expect(argAfter(container(d, 'envoy').args, '--service-node')).toBe(GATEWAY.node)
    const port = v3(readFileSync(join(ROOT, 'deploy/nodes/gateway.yaml'), 'utf8')).static_resources.listeners[0].address.socket_address.port_value
    expect(one('Service', 'gateway').spec.ports[0].port).toBe(port)
    expect(parse(envoyConfigOf(one('ConfigMap', 'sidecar-config-gateway', 'xds'))).node.id).toBe(GATEWAY.node)
    const tunnel = (dir: 'base' | 'xds') => parse(one('ConfigMap', 'cloudflared-config', dir).data['config.yaml']).ingress[0]
    expect(tunnel('base').service).toBe(`http://servicea.${NAMESPACE}.svc.cluster.local:${one('Service', 'servicea').spec.ports[0].port}`)
    expect(tunnel('xds').service).toBe(`http://gateway.${NAMESPACE}.svc.cluster.local:${port}`)
    expect(tunnel('xds').hostname).toBe(tunnel('base').hostname)
  })

  it('k8s-sync: RBAC is get/list/watch on endpointslices only, bound to the ServiceAccount it runs as, syncing every node', () => {
    const role = one('Role', 'edgevoy-k8s-sync')
    expect(role.rules).toEqual([{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }])
    expect(all('ClusterRole')).toEqual([])
    const binding = one('RoleBinding', 'edgevoy-k8s-sync')
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name })
    const d = one('Deployment', 'edgevoy-k8s-sync')
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: d.spec.template.spec.serviceAccountName, namespace: NAMESPACE }])
    one('ServiceAccount', d.spec.template.spec.serviceAccountName)
    const args = container(d, 'k8s-sync').args as string[]
    expect(args).toContain('--in-cluster')
    expect(argAfter(args, '--node').split(',').sort()).toEqual([...MESH, GATEWAY].map((n) => n.node).sort())
  })

  it('every Secret and ConfigMap the pods use is shipped or created by a command in docs/kubernetes.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/kubernetes.md'), 'utf8')
    const secrets = new Set<string>()
    const configMaps = new Set<string>()
    for (const d of all('Deployment')) {
      const spec = d.spec.template.spec
      for (const c of [...(spec.initContainers ?? []), ...spec.containers])
        for (const e of c.env ?? []) {
          if (e.valueFrom?.secretKeyRef) secrets.add(e.valueFrom.secretKeyRef.name)
          if (e.valueFrom?.configMapKeyRef) configMaps.add(e.valueFrom.configMapKeyRef.name)
        }
      for (const v of spec.volumes ?? []) {
        if (v.secret) secrets.add(v.secret.secretName)
        if (v.configMap) configMaps.add(v.configMap.name)
      }
    }
    expect([...secrets].sort()).toEqual(['cloudflared-credentials', 'edgevoy-admin-token'])
    for (const name of secrets) expect(doc, `docs/kubernetes.md creates secret ${name}`).toMatch(new RegExp(`create secret generic ${name}\\b`))
    for (const name of configMaps) expect(all('ConfigMap').map((c) => c.metadata.name), name).toContain(name)
  })
})

describe('the xDS bootstraps', () => {
  it('the init container fills in exactly the placeholders the bootstraps carry, and the result is a valid REST-xDS bootstrap', () => {
    for (const n of [...MESH, GATEWAY]) {
      const d = one('Deployment', n.k8s)
      const init = d.spec.template.spec.initContainers.find((c: Json) => c.name === 'envoy-config')
      const script = init.command.at(-1) as string
      expect(script).toContain(`s|${TOKEN_PLACEHOLDER}|\${EDGEVOY_ADMIN_TOKEN}|g`)
      expect(script).toContain(`s|${ADMIN_HOST_PLACEHOLDER}|\${EDGEVOY_ADMIN_HOST}|g`)
      expect(init.env.map((e: Json) => e.valueFrom.secretKeyRef?.name ?? e.valueFrom.configMapKeyRef?.name).sort()).toEqual(['edgevoy-admin-token', 'edgevoy-edge'])
      const template = envoyConfigOf(one('ConfigMap', `sidecar-config-${n.k8s}`, 'xds'))
      const rendered = template.replaceAll(TOKEN_PLACEHOLDER, 's3cret').replaceAll(ADMIN_HOST_PLACEHOLDER, 'edge.example.com')
      expect(rendered).not.toContain('@EDGEVOY')
      const config = v3(rendered)
      expect(config.dynamic_resources.lds_config.api_config_source).toMatchObject({ api_type: 'REST', cluster_names: ['edgevoy_xds'] })
      const xdsRoute = config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0]
      expect(xdsRoute.route.prefix_rewrite).toBe('/__admin/xds/v3/discovery')
      expect(xdsRoute.request_headers_to_add[0].header).toEqual({ key: 'authorization', value: 'Bearer s3cret' })
    }
  })
})

describe('deploy/edge', () => {
  it('the front config has the article\'s routes and reaches service_a at the tunnel hostname; valid for Cloudflare with no warning', () => {
    const hostname = parse(one('ConfigMap', 'cloudflared-config', 'base').data['config.yaml']).ingress[0].hostname
    for (const file of ['deploy/edge/front-envoy.yaml', 'deploy/edge/front-envoy-vpc.yaml']) {
      const result = readConfig(join(ROOT, file))
      if (!result.ok) throw new Error(result.errors.join('\n'))
      expect(cloudflareWarnings(result.snapshot), file).toEqual([])
      expect(result.warnings, file).toEqual([])
      const cluster = result.snapshot.clusters.get('service_a')!
      if (file.endsWith('vpc.yaml')) expect(cluster.hosts[0]!.binding).toBe('MESH')
      else expect(cluster.hosts.map((h) => `${h.hostname}:${h.port}`)).toEqual([`${hostname}:443`])
    }
  })
})
