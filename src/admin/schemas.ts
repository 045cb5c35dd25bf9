/**
 * The admin API's request and response shapes, as zod schemas. Handlers
 * validate with them and /openapi.json is generated from them
 * (`z.toJSONSchema`), so the documentation cannot drift from the code.
 * Envoy resources inside bodies are open objects here: the whole config is
 * validated by src/config's schemas after the edit.
 */
import { z } from 'zod'

const envoyResource = (what: string) => z.record(z.string(), z.unknown()).meta({ description: `${what}, in Envoy v3 JSON (snake_case), validated with the whole config` })

export const ConfigBody = envoyResource('An Envoy bootstrap config')
export const ClusterBody = envoyResource('A config.cluster.v3.Cluster; `name` is taken from the path')
export const VirtualHostBody = envoyResource('A config.route.v3.VirtualHost; `name` is taken from the path')
export const RouteBody = envoyResource('A config.route.v3.Route; `name` is taken from the path')

export const Issue = z.object({
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
})

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.array(z.unknown()) }),
})

export const WriteResponse = z.object({
  version: z.number().int(),
  created: z.boolean().optional(),
  warnings: z.array(Issue),
})

export const ValidateResponse = z.object({ valid: z.boolean(), errors: z.array(Issue), warnings: z.array(Issue) })

export const VersionsResponse = z.object({
  current: z.number().int(),
  versions: z.array(z.object({ version: z.number().int(), created_at: z.string(), note: z.string() })),
})

export const VersionResponse = z.object({ version: z.number().int(), created_at: z.string(), config: ConfigBody })

export const RollbackBody = z.object({ version: z.number().int().min(0).meta({ description: 'the version to restore; 0 is the bundled config' }) })

const Endpoint = z.object({
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  weight: z.number().int().min(1).optional(),
})

export const EndpointsPatch = z
  .object({ add: z.array(Endpoint).default([]), remove: z.array(Endpoint.omit({ weight: true })).default([]) })
  .refine((p) => p.add.length + p.remove.length > 0, { message: 'give endpoints to add or remove' })

export const RoutePlacement = z.object({
  before: z.string().optional().meta({ description: 'place the route just before this route' }),
  after: z.string().optional().meta({ description: 'place the route just after this route' }),
}).refine((q) => q.before === undefined || q.after === undefined, { message: 'give before or after, not both' })

export const RouteQuery = z.object({
  authority: z.string().min(1).meta({ description: 'the Host / :authority' }),
  path: z.string().startsWith('/').default('/').meta({ description: ':path, with its query string' }),
  method: z.string().min(1).default('GET'),
  scheme: z.enum(['http', 'https']).default('https'),
})

const Predicate = z.object({ predicate: z.string(), matched: z.boolean() })

export const RouteExplanation = z.object({
  config_version: z.string(),
  listener: z.string(),
  request: z.object({ authority: z.string(), path: z.string(), method: z.string(), headers: z.record(z.string(), z.string()) }),
  virtual_host: z.string().nullable(),
  route: z.object({ name: z.string(), index: z.number().int(), action: z.record(z.string(), z.unknown()) }).nullable(),
  result: z.string().meta({ description: 'what the proxy would answer, in words' }),
  tried: z.array(z.object({ name: z.string(), index: z.number().int(), failed: z.array(z.string()), predicates: z.array(Predicate) })),
})

export const ServerInfo = z.object({
  version: z.string(),
  state: z.literal('LIVE'),
  config_version: z.string(),
  config_source: z.enum(['bundled', 'published']),
  config_updated: z.string(),
  uptime_current_epoch: z.string(),
  refresh_seconds: z.number(),
  config_problem: z.object({ version: z.number().int(), errors: z.array(z.string()), at: z.string() }).nullable(),
})

export type RouteQueryInput = z.output<typeof RouteQuery>
