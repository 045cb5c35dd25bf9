/**
 * What the admin handlers share: the authority stub, If-Match parsing, body
 * reading (JSON, or YAML by Content-Type), and turning an authority write
 * into a response — installing the new version in this isolate at once, so
 * the next request here is served by it.
 */
import type { Context } from 'hono'
import { parse as parseYaml } from 'yaml'
import { textNestingProblem } from '../config/nesting.js'
import { parseSource } from '../config/yaml-source.js'
import type { z } from 'zod'
import type { StateEnv } from '../state/env.js'
import type { Isolate } from '../state/serving.js'
import type { ConfigAuthority, Precondition, WriteResult } from './authority.js'
import type { EditOp } from './edits.js'
import { AdminError, requestIssues } from './errors.js'

export type AdminEnv = { Bindings: StateEnv; Variables: { isolate: Isolate } }
export type AdminContext = Context<AdminEnv>

export const YAML_TYPES = /^(application|text)\/(x-)?yaml\b/i

/** The one config authority of this Worker (all writes go through it). */
export function authority(c: AdminContext): DurableObjectStub<ConfigAuthority> {
  const ns = c.env.CONFIG_AUTHORITY
  if (!ns) throw new AdminError(503, 'no_config_authority', 'the CONFIG_AUTHORITY Durable Object binding is missing (see wrangler.toml)')
  return ns.get(ns.idFromName('global'))
}

/** `If-Match: "3"` (or W/"3", 3, *) → the precondition; absent → none. */
export function ifMatchOf(c: AdminContext): Precondition {
  const raw = c.req.header('if-match')?.trim()
  if (raw === undefined || raw === '') return undefined
  if (raw === '*') return '*'
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(raw)
  // An ETag this API never issued can match no version: a failed precondition, not a bad request.
  return m ? Number(m[1]) : -1
}

export const etag = (version: number) => `"${version}"`

/**
 * The request body as a value: YAML when the Content-Type says so, JSON otherwise.
 * The same rules as `edgevoy validate`: nesting bounded before parsing, and a
 * duplicate key is an error (never last-one-wins). `config: true` (config
 * bodies) also refuses an empty body as `invalid_config`.
 */
export async function readBody(c: AdminContext, options: { config?: boolean } = {}): Promise<{ value: unknown; text: string; yaml: boolean }> {
  const text = await c.req.text()
  const yaml = YAML_TYPES.test(c.req.header('content-type') ?? '')
  if (options.config && text.trim() === '') throw new AdminError(400, 'invalid_config', 'the body is empty: send the whole config (JSON, or YAML with Content-Type: application/yaml); nothing was changed')
  const deep = textNestingProblem(text)
  if (deep) throw new AdminError(400, 'invalid_config', `${deep.message} (line ${deep.line}, column ${deep.column}); nothing was changed`)
  let value: unknown
  try {
    value = yaml ? parseYaml(text) : JSON.parse(text)
  } catch (e) {
    throw new AdminError(400, yaml ? 'invalid_yaml' : 'invalid_json', `the body is not valid ${yaml ? 'YAML' : 'JSON'}: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!yaml) {
    // JSON.parse keeps the last of duplicate keys; the CLI's reader (parseSource) refuses them, and so does the API.
    const dup = parseSource(text).syntaxErrors[0]
    if (dup) throw new AdminError(400, 'invalid_json', `the body is not valid JSON for edgevoy: ${dup.message} (line ${dup.line}, column ${dup.column}); nothing was changed`)
  }
  return { value, text, yaml }
}

/** Validate with a request schema, or 400 with every issue. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new AdminError(400, 'invalid_request', `invalid ${what}`, requestIssues(parsed.error))
  return parsed.data
}

/** Send an edit to the authority and answer with the new version (or its error). */
export async function write(c: AdminContext, op: EditOp, note: string): Promise<Response> {
  const result = (await authority(c).write(op, ifMatchOf(c), note)) as WriteResult
  return answerWrite(c, result)
}

export async function answerWrite(c: AdminContext, result: WriteResult): Promise<Response> {
  if (!result.ok) throw new AdminError(result.status, result.code, result.message, result.details, { etag: etag(result.current) })
  await c.var.isolate.install(c.env, result.published)
  const { version } = result.published
  return c.json({ version, created: result.created, warnings: result.warnings }, result.created ? 201 : 200, { etag: etag(version), 'x-edgevoy-config-version': String(version) })
}
