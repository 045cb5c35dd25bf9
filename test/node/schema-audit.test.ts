/**
 * The schema-field audit: every field of every zod schema under
 * src/config/schema is either acted on (a file that reads it, checked here),
 * or declared `notApplied` in its schema (validate warns "X is accepted but
 * not applied by edgevoy: reason"), or one Envoy ignores too, or in the marked
 * issue-13 block of fields other helpers are implementing. A new field that
 * is none of these fails this test: nothing is accepted silently
 * (issue 13: "Audit the schemas so that no field in them is silently ignored").
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { notAppliedReason } from '../../src/config/schema/envoy-object'
import { ACTED_ON, ENVOY_IGNORES_TOO, HANDLED_BY_ISSUE_13 } from '../support/schema-audit-registry'
import { schemaFields, type SchemaField } from '../support/schema-fields'
import { ROOT } from './cli-process'

const SCHEMA_DIR = join(ROOT, 'src/config/schema')

async function allFields(): Promise<SchemaField[]> {
  const files = [
    ...readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.ts')).map((f) => join(SCHEMA_DIR, f)),
    ...readdirSync(join(SCHEMA_DIR, 'filters')).filter((f) => f.endsWith('.ts')).map((f) => join(SCHEMA_DIR, 'filters', f)),
  ].sort()
  const modules: Record<string, unknown>[] = []
  for (const f of files) modules.push((await import(f)) as Record<string, unknown>)
  return schemaFields(modules)
}

/** `{ value: … }`, the JSON form of a proto wrapper (UInt32Value, BoolValue…): it follows its field. */
const isWrapperForm = (f: SchemaField) => f.field === 'value' && f.siblings.length === 1
/** Duration's `{ seconds, nanos }` form, turned into milliseconds by envoy-object.ts. */
const isDurationForm = (f: SchemaField) => f.object === 'duration'

function category(f: SchemaField): string[] {
  const found: string[] = []
  if (f.key in ACTED_ON) found.push('acted on')
  if (notAppliedReason(f.schema) !== undefined) found.push('not applied')
  if (f.key in ENVOY_IGNORES_TOO) found.push('ignored by Envoy too')
  if (HANDLED_BY_ISSUE_13.includes(f.key)) found.push('issue 13')
  if (isWrapperForm(f) || isDurationForm(f)) found.push('encoding')
  return found
}

describe('schema-field audit', () => {
  it('finds the schemas (a walk that found nothing would pass vacuously)', async () => {
    const fields = await allFields()
    expect(fields.length).toBeGreaterThan(400)
    expect(fields.map((f) => f.key)).toEqual(expect.arrayContaining(['cluster.lb_policy', 'httpConnectionManager.codec_type', 'jwtProvider.claim_to_headers']))
  })

  it('every field is acted on, declared not applied, ignored by Envoy too, or in the issue-13 block — exactly one', async () => {
    const problems: string[] = []
    for (const f of await allFields()) {
      const found = category(f)
      if (found.length === 0) problems.push(`${f.key}: nothing reads it and validate says nothing — read it, or give it a notApplied reason in its schema`)
      else if (found.length > 1) problems.push(`${f.key}: listed as ${found.join(' and ')}`)
    }
    expect(problems).toEqual([])
  })

  it('an acted-on field is really read: the file named for it mentions it', async () => {
    const texts = new Map<string, string>()
    const problems: string[] = []
    for (const [key, file] of Object.entries(ACTED_ON)) {
      if (!texts.has(file)) texts.set(file, readFileSync(join(ROOT, file), 'utf8'))
      const field = key.endsWith('.@type') ? '@type' : key.slice(key.lastIndexOf('.') + 1)
      const mention = new RegExp(`(?<![A-Za-z0-9_@])${field.replace(/[.*+?^${}()|[\]\\@]/g, '\\$&')}(?![A-Za-z0-9_])`)
      if (!mention.test(texts.get(file)!)) problems.push(`${key}: ${file} does not mention ${field}`)
    }
    expect(problems).toEqual([])
  })

  it('the registry names no field the schemas do not have (kept in step with the schemas)', async () => {
    const keys = new Set((await allFields()).map((f) => f.key))
    const stale = [...Object.keys(ACTED_ON), ...Object.keys(ENVOY_IGNORES_TOO)].filter((k) => !keys.has(k))
    expect(stale).toEqual([])
  })

  it('validate warns about a not-applied field with its reason', () => {
    const loaded = loadConfig(`
static_resources:
  listeners:
    - name: edge
      address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: edge
                codec_type: AUTO
                server_name: edge
                route_config:
                  virtual_hosts:
                    - name: all
                      domains: ["*"]
                      routes:
                        - match: { prefix: "/", grpc: {} }
                          route: { cluster: a, priority: HIGH }
                http_filters: [{ name: envoy.filters.http.router }]
  clusters:
    - name: a
      type: STATIC
      load_assignment: { cluster_name: a, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }
`)
    expect(loaded.ok).toBe(true)
    const messages = loaded.warnings.map((w) => `${w.path.join('.')}: ${w.message}`)
    for (const field of ['codec_type', 'server_name', 'grpc', 'priority'])
      expect(messages.some((m) => m.includes(`${field} is accepted but not applied by edgevoy: `)), `${field} in\n${messages.join('\n')}`).toBe(true)
    // The warning carries the line of the field.
    expect(loaded.warnings.find((w) => w.message.startsWith('codec_type'))?.line).toBe(12)
  })
})
