/**
 * `GET /openapi.json`, assembled from the zod schemas the handlers validate
 * with (`z.toJSONSchema`), so the document cannot drift from the code.
 * OpenAPI 3.1 uses JSON Schema 2020-12, zod's default target.
 * https://spec.openapis.org/oas/v3.1.0
 */
import { z } from 'zod'
import * as S from './schemas.js'

type Op = { summary: string; body?: z.ZodType; yaml?: boolean; query?: Record<string, string>; ok?: z.ZodType; okText?: string; errors?: number[] }

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const SCHEMAS: Record<string, z.ZodType> = {
  ConfigBody: S.ConfigBody, ClusterBody: S.ClusterBody, VirtualHostBody: S.VirtualHostBody, RouteBody: S.RouteBody,
  Issue: S.Issue, ErrorBody: S.ErrorBody, WriteResponse: S.WriteResponse, ValidateResponse: S.ValidateResponse,
  VersionsResponse: S.VersionsResponse, VersionResponse: S.VersionResponse, RollbackBody: S.RollbackBody,
  EndpointsPatch: S.EndpointsPatch, RouteExplanation: S.RouteExplanation, ServerInfo: S.ServerInfo,
}
const nameOf = (schema: z.ZodType) => Object.entries(SCHEMAS).find(([, s]) => s === schema)![0]

const write = (summary: string, body?: z.ZodType): Op => ({ summary, ...(body ? { body } : {}), ok: S.WriteResponse, errors: [400, 404, 409, 412, 413] })

const PATHS: Record<string, Record<string, Op>> = {
  '/config': {
    get: { summary: 'The current config (ETag: its version); ?format=yaml for YAML', query: { format: 'json or yaml' }, ok: S.ConfigBody },
    put: { ...write('Replace the whole config (If-Match honoured)', S.ConfigBody), yaml: true },
  },
  '/config/validate': { post: { summary: 'Validate a config, storing nothing', body: S.ConfigBody, yaml: true, ok: S.ValidateResponse, errors: [400, 413] } },
  '/config/versions': { get: { summary: 'The kept history, newest first', ok: S.VersionsResponse } },
  '/config/versions/{v}': { get: { summary: 'One version of the config', ok: S.VersionResponse, errors: [404] } },
  '/config/rollback': { post: write('Restore an earlier version, as a new version', S.RollbackBody) },
  '/clusters': { get: { summary: "Every cluster and host (Envoy's /clusters); ?format=text for its line format", query: { format: 'json or text' }, okText: 'clusters' } },
  '/clusters/{name}': { get: { summary: 'One cluster', ok: S.ClusterBody, errors: [404] }, put: write('Create or replace a cluster', S.ClusterBody), delete: write('Delete a cluster (409 while routes use it)') },
  '/clusters/{name}/endpoints': { patch: write('Add or remove endpoints of a cluster', S.EndpointsPatch) },
  '/virtual_hosts/{name}': { get: { summary: 'One virtual host', ok: S.VirtualHostBody, errors: [404] }, put: write('Create or replace a virtual host', S.VirtualHostBody), delete: write('Delete a virtual host') },
  '/virtual_hosts/{vh}/routes/{route}': {
    get: { summary: 'One route', ok: S.RouteBody, errors: [404] },
    put: { ...write('Create or replace a route; ?before= / ?after= place it', S.RouteBody), query: { before: 'route name', after: 'route name' } },
    delete: write('Delete a route'),
  },
  '/route': { get: { summary: 'Explain the routing decision for a request, sending nothing', query: { authority: 'Host', path: ':path', method: 'method', 'header.NAME': 'a request header' }, ok: S.RouteExplanation } },
  '/config_dump': { get: { summary: "Envoy's /config_dump shape", okText: 'config dump' } },
  '/server_info': { get: { summary: 'Version, config version, uptime of this isolate', ok: S.ServerInfo } },
  '/ready': { get: { summary: 'LIVE once serving; reports a rejected published config', ok: S.ServerInfo } },
}

function operation(path: string, op: Op): Record<string, unknown> {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }))
  const query = Object.entries(op.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } }))
  const content = (schema: z.ZodType) => ({ 'application/json': { schema: ref(nameOf(schema)) }, ...(op.yaml ? { 'application/yaml': { schema: ref(nameOf(schema)) } } : {}) })
  const responses: Record<string, unknown> = {
    200: op.ok ? { description: 'OK', content: { 'application/json': { schema: ref(nameOf(op.ok)) } } } : { description: op.okText ?? 'OK' },
    401: { description: 'missing or wrong token', content: { 'application/json': { schema: ref('ErrorBody') } } },
  }
  for (const status of op.errors ?? []) responses[status] = { description: 'error', content: { 'application/json': { schema: ref('ErrorBody') } } }
  return {
    summary: op.summary,
    ...(params.length + query.length ? { parameters: [...params, ...query] } : {}),
    ...(op.body ? { requestBody: { required: true, content: content(op.body) } } : {}),
    responses,
  }
}

export function openApiDocument(prefix: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {}
  for (const [path, ops] of Object.entries(PATHS)) paths[`${prefix}${path}`] = Object.fromEntries(Object.entries(ops).map(([m, op]) => [m, operation(path, op)]))
  const schemas = Object.fromEntries(Object.entries(SCHEMAS).map(([name, schema]) => [name, z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })]))
  return {
    openapi: '3.1.0',
    info: { title: 'edgevoy admin API', version: '1' },
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  }
}
