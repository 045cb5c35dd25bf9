/**
 * routes/mesh.yaml: which Envoy configs and local services make up the mesh,
 * and where each listens locally — the docker-compose file's job in the
 * article. Parsed strictly (a typo'd key is an error), paths relative to it.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parse } from 'yaml'
import { z } from 'zod'

const port = z.number().int().min(1).max(65535)

const proxySchema = z.strictObject({
  name: z.string().min(1),
  config: z.string().min(1),
  /** Config port → local port, like compose's "8080:80". */
  ports: z.record(z.string().regex(/^\d+$/), port).optional(),
  admin: port.optional(),
})

const serviceSchema = z.strictObject({
  name: z.string().min(1),
  port,
  calls: z.array(z.string().url()).optional(),
  replicas: z.number().int().min(1).max(5).optional(),
})

const meshSchema = z.strictObject({
  proxies: z.array(proxySchema).min(1),
  services: z.array(serviceSchema).default([]),
  hosts: z.record(z.string(), z.string()).default({}),
})

export type MeshProxy = z.infer<typeof proxySchema> & { configPath: string }
export type MeshService = z.infer<typeof serviceSchema>
export interface MeshConfig {
  readonly file: string
  readonly proxies: readonly MeshProxy[]
  readonly services: readonly MeshService[]
  readonly hosts: Readonly<Record<string, string>>
}

/** Instance i (0-based) of a scaled service listens on port + 10000·i. */
export const REPLICA_PORT_STEP = 10_000

export function loadMesh(file: string): MeshConfig {
  let raw: unknown
  try {
    raw = parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`)
  }
  const parsed = meshSchema.safeParse(raw)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new Error(`invalid mesh file\n${lines.join('\n')}`)
  }
  const dir = dirname(file)
  return {
    file,
    proxies: parsed.data.proxies.map((p) => ({ ...p, configPath: resolve(dir, p.config) })),
    services: parsed.data.services,
    hosts: parsed.data.hosts,
  }
}

/** Apply `--replicas N` / `--replicas service_a=2` (a service's short name `a` works too). */
export function withReplicas(mesh: MeshConfig, replicas: { all?: number; byService: Record<string, number> }): MeshConfig {
  const known = new Set(mesh.services.flatMap((s) => [s.name, shortName(s.name)]))
  for (const name of Object.keys(replicas.byService)) {
    if (!known.has(name)) throw new Error(`--replicas: no service "${name}" in ${mesh.file} (services: ${mesh.services.map((s) => s.name).join(', ')})`)
  }
  const services = mesh.services.map((s) => {
    const n = replicas.byService[s.name] ?? replicas.byService[shortName(s.name)] ?? replicas.all ?? s.replicas ?? 1
    if (s.port + REPLICA_PORT_STEP * (n - 1) > 65535) throw new Error(`--replicas: ${n} instances of ${s.name} would need port ${s.port + REPLICA_PORT_STEP * (n - 1)}`)
    return { ...s, replicas: n }
  })
  return { ...mesh, services }
}

/** `service_a` → `a`. */
export const shortName = (name: string) => name.replace(/^service[_-]/, '')

export const instancePorts = (s: MeshService): number[] =>
  Array.from({ length: s.replicas ?? 1 }, (_, i) => s.port + REPLICA_PORT_STEP * i)
